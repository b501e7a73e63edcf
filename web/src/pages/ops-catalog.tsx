// Ops console: the catalog. Every service in any state, publishing and retiring,
// and one editor for a service's terms (a new version on each save) and its plans.
import { useState } from "preact/hooks";
import { api, post } from "../api";
import { labels, loc, t, yen, type Localized } from "../i18n";
import { Link, navigate } from "../router";
import { Checkbox, inLanguage, InputField, inputValue, LocalizedFields, SelectField, TextAreaField, useForm, type Bound } from "../forms";
import { ListTable, PAGE_SIZE, Table, usePaged } from "../lists";
import { ActionButton, Loading, ProblemView, Success, useActions, useLoad, useSubmit } from "../ui";
import { OpsConsole, OpsFrame } from "./ops";
import type { Plan } from "./public";

type OpsService = {
  id: string;
  service_version: number;
  slug: string;
  status: "draft" | "published" | "retired";
  category: string;
  name: Localized;
  description: Localized;
  plans: Plan[];
  order_unit: number;
  max_quantity_per_order: number;
  takes_phone_orders: boolean;
  order_fields: Record<string, unknown>;
  lead_time_business_days: number;
  activation_notice: { kind: "on_activation" } | { kind: "business_days_before_start"; business_days: number };
  requires_corporation: boolean;
  allows_account_transfer: boolean;
  free_first_month: boolean;
  cancellable_on_site: boolean;
  early_termination: { kind: "none" } | { kind: "fixed"; amount: number } | { kind: "remaining_months" };
  minimum_term_months: number;
  withdrawal_requires_contracts_ended: boolean;
};

const BASE = "/api/v1/ops/catalog/services";

export const serviceStatusLabel = labels({ published: "svcPublished", retired: "svcRetired" }, "svcDraft");

/** A plan's name in both languages and its fees in yen, as the API takes them. */
function planBody(plan: { ja: string; en: string; monthly: string; initial: string }) {
  return {
    name: { ja: plan.ja, en: plan.en },
    monthly_fee: Number(plan.monthly),
    initial_fee: Number(plan.initial),
  };
}

function ServiceRow({ service, changed }: { service: OpsService; changed: () => void }) {
  const action = service.status === "published" ? "retire" : "publish";
  const { run, error, busy } = useActions(changed);
  return (
    <tr data-service-id={service.id} data-slug={service.slug}>
      <th scope="row">
        <Link href={`/ops/catalog/${service.id}`}>{loc(service.name)}</Link>
        <br />
        <small>{service.slug}</small>
      </th>
      <td>{service.service_version}</td>
      <td class="service-status">{serviceStatusLabel(service.status)}</td>
      <td>
        <ActionButton
          secondary={action === "retire"}
          onClick={() => run(() => post(`${BASE}/${service.id}/${action}`))}
          disabled={busy}
        >
          {action === "retire" ? t("retire") : t("publish")}
        </ActionButton>
        <ProblemView error={error} />
      </td>
    </tr>
  );
}

export function OpsCatalogPage() {
  const services = usePaged<OpsService>(`${BASE}?limit=${PAGE_SIZE}`);
  return (
    <OpsFrame title={t("opsCatalog")} headingId="catalog-heading">
      <p>
        <Link class="button" href="/ops/catalog/new">
          {t("newService")}
        </Link>
      </p>
      <ListTable
        list={services}
        class="ops-catalog"
        columns={[t("service"), t("version"), t("status"), t("actions")]}
        row={(service) => <ServiceRow key={`${service.id}-${service.status}`} service={service} changed={services.reload} />}
      />
    </OpsFrame>
  );
}

type Form = Record<string, string | boolean>;

const NEW_SERVICE: Form = {
  slug: "",
  category: "",
  name_ja: "",
  name_en: "",
  description_ja: "",
  description_en: "",
  order_unit: "1",
  max_quantity_per_order: "10",
  lead_time_business_days: "5",
  notice_kind: "on_activation",
  notice_days: "3",
  et_kind: "none",
  et_amount: "0",
  minimum_term_months: "0",
  order_fields: JSON.stringify({ type: "object", properties: {}, required: [], additionalProperties: false }, null, 2),
  takes_phone_orders: false,
  requires_corporation: false,
  allows_account_transfer: true,
  free_first_month: false,
  cancellable_on_site: true,
  withdrawal_requires_contracts_ended: false,
  plan_ja: "",
  plan_en: "",
  plan_monthly: "0",
  plan_initial: "0",
};

function formOf(service: OpsService): Form {
  return {
    ...NEW_SERVICE,
    slug: service.slug,
    category: service.category,
    name_ja: service.name.ja,
    name_en: service.name.en,
    description_ja: service.description.ja,
    description_en: service.description.en,
    order_unit: String(service.order_unit),
    max_quantity_per_order: String(service.max_quantity_per_order),
    lead_time_business_days: String(service.lead_time_business_days),
    notice_kind: service.activation_notice.kind,
    notice_days: String("business_days" in service.activation_notice ? service.activation_notice.business_days : 3),
    et_kind: service.early_termination.kind,
    et_amount: String("amount" in service.early_termination ? service.early_termination.amount : 0),
    minimum_term_months: String(service.minimum_term_months),
    order_fields: JSON.stringify(service.order_fields, null, 2),
    takes_phone_orders: service.takes_phone_orders,
    requires_corporation: service.requires_corporation,
    allows_account_transfer: service.allows_account_transfer,
    free_first_month: service.free_first_month,
    cancellable_on_site: service.cancellable_on_site,
    withdrawal_requires_contracts_ended: service.withdrawal_requires_contracts_ended,
  };
}

class BadJson extends Error {}

function termsOf(form: Form): Record<string, unknown> {
  let orderFields: unknown;
  try {
    orderFields = JSON.parse(String(form.order_fields));
  } catch {
    throw new BadJson();
  }
  return {
    category: form.category,
    name: { ja: form.name_ja, en: form.name_en },
    description: { ja: form.description_ja, en: form.description_en },
    order_unit: Number(form.order_unit),
    max_quantity_per_order: Number(form.max_quantity_per_order),
    lead_time_business_days: Number(form.lead_time_business_days),
    activation_notice:
      form.notice_kind === "on_activation"
        ? { kind: "on_activation" }
        : { kind: "business_days_before_start", business_days: Number(form.notice_days) },
    early_termination:
      form.et_kind === "fixed" ? { kind: "fixed", amount: Number(form.et_amount) } : { kind: form.et_kind },
    minimum_term_months: Number(form.minimum_term_months),
    order_fields: orderFields,
    takes_phone_orders: form.takes_phone_orders,
    requires_corporation: form.requires_corporation,
    allows_account_transfer: form.allows_account_transfer,
    free_first_month: form.free_first_month,
    cancellable_on_site: form.cancellable_on_site,
    withdrawal_requires_contracts_ended: form.withdrawal_requires_contracts_ended,
  };
}

const FLAGS = [
  ["requires_corporation", "requiresCorporation"],
  ["allows_account_transfer", "accountTransfer"],
  ["free_first_month", "freeFirstMonth"],
  ["cancellable_on_site", "cancellableOnSite"],
  ["takes_phone_orders", "phoneOrders"],
  ["withdrawal_requires_contracts_ended", "blocksWithdrawal"],
] as const;

function ServiceEditor({ service, saved }: { service: OpsService | null; saved?: () => void }) {
  const { form, set, bind } = useForm<Form>(service ? formOf(service) : NEW_SERVICE, "svc-");
  const [jsonError, setJsonError] = useState(false);
  const { submit, error } = useSubmit(
    async () => {
      setJsonError(false);
      let terms: Record<string, unknown>;
      try {
        terms = termsOf(form);
      } catch (failure) {
        if (failure instanceof BadJson) setJsonError(true);
        throw failure;
      }
      if (service) return api<OpsService>(`${BASE}/${service.id}`, { method: "PATCH", body: terms });
      const plan = planBody({
        ja: String(form.plan_ja),
        en: String(form.plan_en),
        monthly: String(form.plan_monthly),
        initial: String(form.plan_initial),
      });
      return post<OpsService>(BASE, { ...terms, slug: form.slug, plans: [plan] });
    },
    (answer) => {
      if (!service) navigate(`/ops/catalog/${answer.id}?created=1`);
      else saved?.();
    },
  );
  const count = (min: number) => ({ type: "number", min }) as const;
  return (
    <form class="form wide" onSubmit={submit} aria-labelledby="editor-heading">
      <h3 id="editor-heading">{service ? t("editTerms") : t("newService")}</h3>
      {!service && (
        <InputField label={t("slug")} hint="a-z, 0-9, -" required pattern="[a-z0-9][a-z0-9\-]{1,62}" {...bind("slug")} />
      )}
      <InputField label={t("category")} hint="a-z, 0-9, _" required pattern="[a-z][a-z0-9_]{1,39}" {...bind("category")} />
      <div class="two">
        <LocalizedFields label={t("serviceName")} bind={(language) => bind(`name_${language}`)} />
        <LocalizedFields label={t("description")} rows={3} bind={(language) => bind(`description_${language}`)} />
      </div>
      <div class="two">
        <InputField label={t("orderUnit")} required {...count(1)} {...bind("order_unit")} />
        <InputField label={t("maxQuantity")} required {...count(1)} {...bind("max_quantity_per_order")} />
        <InputField label={t("leadTimeDays")} required {...count(0)} {...bind("lead_time_business_days")} />
        <InputField label={t("minimumTermMonths")} required {...count(0)} {...bind("minimum_term_months")} />
        <SelectField
          label={t("activationNotice")}
          options={[
            ["on_activation", t("noticeOnActivation")],
            ["business_days_before_start", t("noticeBeforeStart")],
          ]}
          {...bind("notice_kind")}
        />
        {form.notice_kind !== "on_activation" && (
          <InputField label={t("noticeDays")} {...count(1)} {...bind("notice_days")} />
        )}
        <SelectField
          label={t("earlyTermination")}
          options={[
            ["none", t("none")],
            ["fixed", t("etFixedKind")],
            ["remaining_months", t("etRemaining")],
          ]}
          {...bind("et_kind")}
        />
        {form.et_kind === "fixed" && <InputField label={t("etAmount")} {...count(0)} {...bind("et_amount")} />}
      </div>
      <fieldset>
        <legend>{t("rules")}</legend>
        {FLAGS.map(([name, label]) => (
          <Checkbox key={name} id={`svc-${name}`} checked={form[name] === true} set={(on) => set(name, on)}>
            {t(label)}
          </Checkbox>
        ))}
      </fieldset>
      <TextAreaField
        label={t("orderFieldsJson")}
        hint={t("orderFieldsHint")}
        class="code"
        rows={8}
        aria-invalid={jsonError}
        {...bind("order_fields")}
      />
      {jsonError && (
        <p class="problem" role="alert">
          {t("badJson")}
        </p>
      )}
      {!service && (
        <fieldset>
          <legend>{t("firstPlan")}</legend>
          <div class="two">
            <LocalizedFields label={t("planName")} bind={(language) => bind(`plan_${language}`)} />
            <FeeFields bind={(fee) => bind(`plan_${fee}`)} />
          </div>
        </fieldset>
      )}
      {!jsonError && <ProblemView error={error instanceof BadJson ? null : error} />}
      <button type="submit">{service ? t("saveNewVersion") : t("createDraft")}</button>
    </form>
  );
}

/** The monthly and the initial fee of a plan, in yen. */
function FeeFields({ bind }: { bind: (fee: "monthly" | "initial") => Bound }) {
  return (
    <>
      <InputField label={t("monthlyFeeYen")} type="number" min={0} required {...bind("monthly")} />
      <InputField label={t("initialFeeYen")} type="number" min={0} required {...bind("initial")} />
    </>
  );
}

function PlanRow({ service, plan, changed }: { service: OpsService; plan: Plan; changed: () => void }) {
  const [form, setForm] = useState({
    ja: plan.name.ja,
    en: plan.name.en,
    monthly: String(plan.monthly_fee),
    initial: String(plan.initial_fee),
  });
  const path = `${BASE}/${service.id}/plans/${plan.plan_id}`;
  const { run, error } = useActions(changed);
  const input = (name: keyof typeof form, label: string, type = "text") => (
    <input
      aria-label={`${loc(plan.name)}: ${label}`}
      type={type}
      min={type === "number" ? 0 : undefined}
      value={form[name]}
      onInput={(e) => setForm((old) => ({ ...old, [name]: inputValue(e) }))}
    />
  );
  return (
    <tr data-plan-id={plan.plan_id}>
      <td>{input("ja", inLanguage(t("planName"), "ja"))}</td>
      <td>{input("en", inLanguage(t("planName"), "en"))}</td>
      <td>{input("monthly", t("monthlyFeeYen"), "number")}</td>
      <td>{input("initial", t("initialFeeYen"), "number")}</td>
      <td>
        <div class="actions">
          <ActionButton onClick={() => run(() => api(path, { method: "PUT", body: planBody(form) }))}>
            {t("save")}
          </ActionButton>
          <ActionButton secondary onClick={() => run(() => api(path, { method: "DELETE" }))}>
            {t("removePlan")}
          </ActionButton>
        </div>
        <ProblemView error={error} />
      </td>
    </tr>
  );
}

function NewPlan({ service, changed }: { service: OpsService; changed: () => void }) {
  const { form, bind } = useForm({ ja: "", en: "", monthly: "0", initial: "0" }, "plan-new-");
  const { submit, error } = useSubmit(() => post(`${BASE}/${service.id}/plans`, planBody(form)), changed);
  return (
    <form class="form" onSubmit={submit} aria-labelledby="new-plan-heading">
      <h4 id="new-plan-heading">{t("addPlan")}</h4>
      <div class="two">
        <LocalizedFields label={t("planName")} bind={bind} />
        <FeeFields bind={bind} />
      </div>
      <ProblemView error={error} />
      <button type="submit">{t("addPlan")}</button>
    </form>
  );
}

export function OpsServicePage({ id }: { id: string }) {
  const loaded = useLoad(() => (id === "new" ? Promise.resolve(null) : api<OpsService>(`${BASE}/${id}`)), [id]);
  const service = loaded.data;
  const [savedVersion, setSavedVersion] = useState(false);
  const changed = () => {
    setSavedVersion(true);
    loaded.reload();
  };
  return (
    <OpsConsole>
      <p>
        <Link href="/ops/catalog">{t("opsCatalog")}</Link>
      </p>
      {id === "new" ? (
        <ServiceEditor service={null} />
      ) : !service ? (
        <Loading error={loaded.error} />
      ) : (
        <>
          <Success shown={!savedVersion && Boolean(new URLSearchParams(location.search).get("created"))}>
            {t("draftCreated")}
          </Success>
          <h3 class="service-title">
            {loc(service.name)} <small>({service.slug})</small> — {serviceStatusLabel(service.status)},{" "}
            {t("version")} {service.service_version}
          </h3>
          <Success shown={savedVersion}>{t("savedNewVersion")}</Success>
          <ServiceEditor key={service.service_version} service={service} saved={changed} />
          <section aria-labelledby="plans-heading">
            <h3 id="plans-heading">{t("plans")}</h3>
            <Table
              class="plans"
              columns={[
                inLanguage(t("planName"), "ja"),
                inLanguage(t("planName"), "en"),
                t("monthlyFeeYen"),
                t("initialFeeYen"),
                t("actions"),
              ]}
              items={service.plans}
              row={(plan) => <PlanRow key={plan.plan_version_id} service={service} plan={plan} changed={changed} />}
            />
            <p class="hint">
              {service.plans.map((plan) => `${loc(plan.name)}: ${yen(plan.monthly_fee)}`).join(" / ")}
            </p>
            <NewPlan key={service.service_version} service={service} changed={changed} />
          </section>
        </>
      )}
    </OpsConsole>
  );
}
