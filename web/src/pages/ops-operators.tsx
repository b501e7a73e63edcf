// Operators and their second factor (R29): every operator with whether an authenticator
// is enrolled, and resetting another operator's lost one (after a confirmation step).
// The operator then enrols a new authenticator by the QR code of their next login.
// One's own row has no action: the API refuses it too (``ops.own_second_factor``).
import { useState } from "preact/hooks";
import { currentSession, post, type Schema } from "../api";
import { dateTime, t } from "../i18n";
import { ListTable } from "../lists";
import { ActionButton, ProblemView, Success, useActions, useApi } from "../ui";
import { OpsFrame } from "./ops";

type Operator = Schema<"OperatorView">;

function OperatorRow(props: { operator: Operator; own: boolean; reset: (operator: Operator) => void }) {
  const { operator, own } = props;
  const [confirming, setConfirming] = useState(false);
  const { run, error, busy } = useActions();
  const confirm = () =>
    run(async () => {
      const answer = await post<Operator>(`/api/v1/ops/identity/operators/${operator.id}/second-factor-reset`);
      setConfirming(false);
      props.reset(answer);
    });
  return (
    <tr data-operator-id={operator.id} data-enrolled={String(operator.totp_enrolled)}>
      <th scope="row">
        {operator.login_id}
        {own && <small class="own-operator"> {t("opOwnRow")}</small>}
      </th>
      <td class="second-factor">{operator.totp_enrolled ? t("opEnrolled") : t("opNotEnrolled")}</td>
      <td>{operator.created_at ? dateTime(operator.created_at) : ""}</td>
      <td>
        {!own && !confirming && (
          <ActionButton secondary onClick={() => setConfirming(true)}>
            {t("opResetSecondFactor")}
          </ActionButton>
        )}
        {!own && confirming && (
          <div class="confirm-reset" role="group" aria-label={t("opResetSecondFactor")}>
            <p>{t("opResetConfirmText", { login: operator.login_id })}</p>
            <div class="actions">
              <ActionButton onClick={confirm} disabled={busy}>
                {t("opResetConfirm")}
              </ActionButton>
              <ActionButton secondary onClick={() => setConfirming(false)} disabled={busy}>
                {t("opResetCancel")}
              </ActionButton>
            </div>
          </div>
        )}
        <ProblemView error={error} />
      </td>
    </tr>
  );
}

export function OpsOperatorsPage() {
  const operators = useApi<Schema<"OperatorList">>("/api/v1/ops/identity/operators");
  const [done, setDone] = useState<string | null>(null);
  const mine = currentSession()?.subject ?? "";
  const reset = (operator: Operator) => {
    setDone(operator.login_id);
    operators.reload();
  };
  return (
    <OpsFrame title={t("opsOperators")}>
      <p>{t("opOperatorsIntro")}</p>
      <Success shown={done !== null}>{t("opResetDone", { login: done ?? "" })}</Success>
      <ListTable
        list={operators}
        class="ops-operators"
        columns={[t("opLoginId"), t("opSecondFactor"), t("opCreatedAt"), t("actions")]}
        row={(operator) => (
          <OperatorRow
            key={`${operator.id}-${operator.totp_enrolled}`}
            operator={operator}
            own={operator.id === mine}
            reset={reset}
          />
        )}
        empty={<p>{t("nothingHere")}</p>}
      />
    </OpsFrame>
  );
}
