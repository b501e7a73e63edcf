// Ops console: the catalog. Every service in any state, publishing and retiring,
// and one editor for a service's terms (a new version on each save) and its plans.
import { useState } from "preact/hooks";
import { api } from "../api";
import { loc, t, yen, type Localized } from "../i18n";
import { Link, navigate } from "../router";
import { Field, Loading, ProblemView, useLoad, useSubmit } from "../ui";
import { OpsNav } from "./ops";
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

export function serviceStatusLabel(status: string): string {
  return status === "published" ? t("svcPublished") : status === "retired" ? t("svcRetired") : t("svcDraft");
}

function ServiceRow({ service, changed }: { service: OpsService; changed: () => void }) {
  const action = service.status === "published" ? "retire" : "publish";
  const { submit, error, busy } = useSubmit(() => api(`${BASE}/${service.id}/${action}`, { method: "POST" }), changed);
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
        <button type="button" class={action === "retire" ? "secondary" : ""} onClick={() => submit()} disabled={busy}>
          {action === "retire" ? t("retire") : t("publish")}
        </button>
        <ProblemView error={error} />
      </td>
    </tr>
  );
}

export function OpsCatalogPage() {
  const services = useLoad(() => api<{ items: OpsService[] }>(`${BASE}?limit=100`));
  return (
    <>
      <h2>{t("opsTitle")}</h2>
      <OpsNav />
      <section aria-labelledby="catalog-heading">
        <h3 id="catalog-heading">{t("opsCatalog")}</h3>
        <p>
          <Link class="button" href="/ops/catalog/new">
            {t("newService")}
          </Link>
        </p>
        <Loading error={services.error}>
          {services.data && (
            <div class="scroll">
              <table class="ops-catalog">
                <thead>
                  <tr>
                    <th scope="col">{t("service")}</th>
                    <th scope="col">{t("version")}</th>
                    <th scope="col">{t("status")}</th>
                    <th scope="col">{t("actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {services.data.items.map((service) => (
                    <ServiceRow key={`${service.id}-${service.status}`} service={service} changed={services.reload} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Loading>
      </section>
    </>
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
  const [form, setForm] = useState<Form>(service ? formOf(service) : NEW_SERVICE);
  const [jsonError, setJsonError] = useState(false);
  const text = (name: string, props: Record<string, unknown> = {}) => ({
    id: `svc-${name}`,
    value: String(form[name]),
    onInput: (e: Event) => setForm((old) => ({ ...old, [name]: (e.target as HTMLInputElement).value })),
    ...props,
  });
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
      const plan = {
        name: { ja: form.plan_ja, en: form.plan_en },
        monthly_fee: Number(form.plan_monthly),
        initial_fee: Number(form.plan_initial),
      };
      return api<OpsService>(BASE, { method: "POST", body: { ...terms, slug: form.slug, plans: [plan] } });
    },
    (answer) => {
      if (!service) navigate(`/ops/catalog/${answer.id}?created=1`);
      else saved?.();
    },
  );
  return (
    <form class="form wide" onSubmit={submit} aria-labelledby="editor-heading">
      <h3 id="editor-heading">{service ? t("editTerms") : t("newService")}</h3>
      {!service && (
        <Field id="svc-slug" label={t("slug")} hint="a-z, 0-9, -" required>
          <input required pattern="[a-z0-9][a-z0-9\-]{1,62}" aria-describedby="svc-slug-hint" {...text("slug")} />
        </Field>
      )}
      <Field id="svc-category" label={t("category")} hint="a-z, 0-9, _" required>
        <input required pattern="[a-z][a-z0-9_]{1,39}" aria-describedby="svc-category-hint" {...text("category")} />
      </Field>
      <div class="two">
        <Field id="svc-name_ja" label={`${t("serviceName")} (日本語)`} required>
          <input required {...text("name_ja")} />
        </Field>
        <Field id="svc-name_en" label={`${t("serviceName")} (English)`} required>
          <input required {...text("name_en")} />
        </Field>
        <Field id="svc-description_ja" label={`${t("description")} (日本語)`} required>
          <textarea required rows={3} {...text("description_ja")} />
        </Field>
        <Field id="svc-description_en" label={`${t("description")} (English)`} required>
          <textarea required rows={3} {...text("description_en")} />
        </Field>
      </div>
      <div class="two">
        <Field id="svc-order_unit" label={t("orderUnit")} required>
          <input type="number" min={1} required {...text("order_unit")} />
        </Field>
        <Field id="svc-max_quantity_per_order" label={t("maxQuantity")} required>
          <input type="number" min={1} required {...text("max_quantity_per_order")} />
        </Field>
        <Field id="svc-lead_time_business_days" label={t("leadTimeDays")} required>
          <input type="number" min={0} required {...text("lead_time_business_days")} />
        </Field>
        <Field id="svc-minimum_term_months" label={t("minimumTermMonths")} required>
          <input type="number" min={0} required {...text("minimum_term_months")} />
        </Field>
        <Field id="svc-notice_kind" label={t("activationNotice")}>
          <select {...text("notice_kind")} onChange={text("notice_kind").onInput}>
            <option value="on_activation">{t("noticeOnActivation")}</option>
            <option value="business_days_before_start">{t("noticeBeforeStart")}</option>
          </select>
        </Field>
        {form.notice_kind !== "on_activation" && (
          <Field id="svc-notice_days" label={t("noticeDays")}>
            <input type="number" min={1} {...text("notice_days")} />
          </Field>
        )}
        <Field id="svc-et_kind" label={t("earlyTermination")}>
          <select {...text("et_kind")} onChange={text("et_kind").onInput}>
            <option value="none">{t("none")}</option>
            <option value="fixed">{t("etFixedKind")}</option>
            <option value="remaining_months">{t("etRemaining")}</option>
          </select>
        </Field>
        {form.et_kind === "fixed" && (
          <Field id="svc-et_amount" label={t("etAmount")}>
            <input type="number" min={0} {...text("et_amount")} />
          </Field>
        )}
      </div>
      <fieldset>
        <legend>{t("rules")}</legend>
        {FLAGS.map(([name, label]) => (
          <label key={name} class="choice">
            <input
              type="checkbox"
              id={`svc-${name}`}
              checked={form[name] === true}
              onChange={(e) => setForm((old) => ({ ...old, [name]: (e.target as HTMLInputElement).checked }))}
            />
            {t(label)}
          </label>
        ))}
      </fieldset>
      <Field id="svc-order_fields" label={t("orderFieldsJson")} hint={t("orderFieldsHint")}>
        <textarea class="code" rows={8} aria-describedby="svc-order_fields-hint" aria-invalid={jsonError} {...text("order_fields")} />
      </Field>
      {jsonError && (
        <p class="problem" role="alert">
          {t("badJson")}
        </p>
      )}
      {!service && (
        <fieldset>
          <legend>{t("firstPlan")}</legend>
          <div class="two">
            <Field id="svc-plan_ja" label={`${t("planName")} (日本語)`} required>
              <input required {...text("plan_ja")} />
            </Field>
            <Field id="svc-plan_en" label={`${t("planName")} (English)`} required>
              <input required {...text("plan_en")} />
            </Field>
            <Field id="svc-plan_monthly" label={t("monthlyFeeYen")} required>
              <input type="number" min={0} required {...text("plan_monthly")} />
            </Field>
            <Field id="svc-plan_initial" label={t("initialFeeYen")} required>
              <input type="number" min={0} required {...text("plan_initial")} />
            </Field>
          </div>
        </fieldset>
      )}
      {!jsonError && <ProblemView error={error instanceof BadJson ? null : error} />}
      <button type="submit">{service ? t("saveNewVersion") : t("createDraft")}</button>
    </form>
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
  const save = useSubmit(
    () =>
      api(path, {
        method: "PUT",
        body: {
          name: { ja: form.ja, en: form.en },
          monthly_fee: Number(form.monthly),
          initial_fee: Number(form.initial),
        },
      }),
    changed,
  );
  const remove = useSubmit(() => api(path, { method: "DELETE" }), changed);
  const input = (name: keyof typeof form, label: string, type = "text") => (
    <input
      aria-label={`${loc(plan.name)}: ${label}`}
      type={type}
      min={type === "number" ? 0 : undefined}
      value={form[name]}
      onInput={(e) => setForm((old) => ({ ...old, [name]: (e.target as HTMLInputElement).value }))}
    />
  );
  return (
    <tr data-plan-id={plan.plan_id}>
      <td>{input("ja", `${t("planName")} (日本語)`)}</td>
      <td>{input("en", `${t("planName")} (English)`)}</td>
      <td>{input("monthly", t("monthlyFeeYen"), "number")}</td>
      <td>{input("initial", t("initialFeeYen"), "number")}</td>
      <td>
        <div class="actions">
          <button type="button" onClick={() => save.submit()}>
            {t("save")}
          </button>
          <button type="button" class="secondary" onClick={() => remove.submit()}>
            {t("removePlan")}
          </button>
        </div>
        <ProblemView error={save.error ?? remove.error} />
      </td>
    </tr>
  );
}

function NewPlan({ service, changed }: { service: OpsService; changed: () => void }) {
  const [form, setForm] = useState({ ja: "", en: "", monthly: "0", initial: "0" });
  const bind = (name: keyof typeof form) => ({
    id: `plan-new-${name}`,
    value: form[name],
    onInput: (e: Event) => setForm((old) => ({ ...old, [name]: (e.target as HTMLInputElement).value })),
  });
  const { submit, error } = useSubmit(
    () =>
      api(`${BASE}/${service.id}/plans`, {
        method: "POST",
        body: {
          name: { ja: form.ja, en: form.en },
          monthly_fee: Number(form.monthly),
          initial_fee: Number(form.initial),
        },
      }),
    changed,
  );
  return (
    <form class="form" onSubmit={submit} aria-labelledby="new-plan-heading">
      <h4 id="new-plan-heading">{t("addPlan")}</h4>
      <div class="two">
        <Field id="plan-new-ja" label={`${t("planName")} (日本語)`} required>
          <input required {...bind("ja")} />
        </Field>
        <Field id="plan-new-en" label={`${t("planName")} (English)`} required>
          <input required {...bind("en")} />
        </Field>
        <Field id="plan-new-monthly" label={t("monthlyFeeYen")} required>
          <input type="number" min={0} required {...bind("monthly")} />
        </Field>
        <Field id="plan-new-initial" label={t("initialFeeYen")} required>
          <input type="number" min={0} required {...bind("initial")} />
        </Field>
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
    <>
      <h2>{t("opsTitle")}</h2>
      <OpsNav />
      <p>
        <Link href="/ops/catalog">{t("opsCatalog")}</Link>
      </p>
      {id === "new" ? (
        <ServiceEditor service={null} />
      ) : !service ? (
        <Loading error={loaded.error} />
      ) : (
        <>
          {!savedVersion && new URLSearchParams(location.search).get("created") && (
            <p role="status" class="success">
              {t("draftCreated")}
            </p>
          )}
          <h3 class="service-title">
            {loc(service.name)} <small>({service.slug})</small> — {serviceStatusLabel(service.status)},{" "}
            {t("version")} {service.service_version}
          </h3>
          {savedVersion && (
            <p role="status" class="success">
              {t("savedNewVersion")}
            </p>
          )}
          <ServiceEditor key={service.service_version} service={service} saved={changed} />
          <section aria-labelledby="plans-heading">
            <h3 id="plans-heading">{t("plans")}</h3>
            <div class="scroll">
              <table class="plans">
                <thead>
                  <tr>
                    <th scope="col">{t("planName")} (日本語)</th>
                    <th scope="col">{t("planName")} (English)</th>
                    <th scope="col">{t("monthlyFeeYen")}</th>
                    <th scope="col">{t("initialFeeYen")}</th>
                    <th scope="col">{t("actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {service.plans.map((plan) => (
                    <PlanRow
                      key={`${plan.plan_version_id}`}
                      service={service}
                      plan={plan}
                      changed={changed}
                    />
                  ))}
                </tbody>
              </table>
            </div>
            <p class="hint">
              {service.plans.map((plan) => `${loc(plan.name)}: ${yen(plan.monthly_fee)}`).join(" / ")}
            </p>
            <NewPlan key={service.service_version} service={service} changed={changed} />
          </section>
        </>
      )}
    </>
  );
}
