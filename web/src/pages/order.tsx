// The order form: built from the service's order-field schema, quantity limits
// shown up front, a calendar of the selectable start dates (earliest marked), a
// confirmation step, and the API's refusal (R12, R14 …) in its own words.
import { useMemo, useState } from "preact/hooks";
import { api, type Schema } from "../api";
import { lang, loc, t, yen } from "../i18n";
import { navigate } from "../router";
import { Checkbox, InputField, SelectField } from "../forms";
import { Terms, type Term } from "../lists";
import { Loading, ProblemView, useLoad } from "../ui";
import { consumptionTax } from "../tax";
import type { FieldSchema, Service } from "./public";

/** The order calendar (R17): the selectable dates, the cut-off and today's effective order date. */
type StartDates = Schema<"StartDatesView">;
type Options = Record<string, string | number | boolean>;

function fieldTitle(spec: FieldSchema, name: string): string {
  return (lang() === "en" ? spec["x-title-en"] : spec.title) ?? name;
}

/** One control per order field of the JSON Schema (enum, integer, boolean, date, text). */
function OptionField(props: {
  name: string;
  spec: FieldSchema;
  required: boolean;
  value: string | number | boolean | undefined;
  set: (value: string | number | boolean | undefined) => void;
}) {
  const { name, spec, required, value, set } = props;
  const id = `option-${name}`;
  const label = fieldTitle(spec, name);
  const numeric = spec.type === "integer" || spec.type === "number";
  if (spec.type === "boolean") {
    return (
      <Checkbox id={id} checked={value === true} set={set}>
        {label}
      </Checkbox>
    );
  }
  const bound = {
    id,
    label,
    required,
    value: value === undefined ? "" : String(value),
    set: (raw: string) => set(raw === "" ? undefined : numeric ? Number(raw) : raw),
  };
  if (spec.enum) {
    return <SelectField options={[["", "—"], ...spec.enum.map((choice) => [String(choice), String(choice)] as const)]} {...bound} />;
  }
  const range =
    numeric && (spec.minimum !== undefined || spec.maximum !== undefined)
      ? `${spec.minimum ?? ""}〜${spec.maximum ?? ""}`
      : undefined;
  return (
    <InputField
      hint={range}
      type={numeric ? "number" : spec.format === "date" ? "date" : "text"}
      min={spec.minimum}
      max={spec.maximum}
      minLength={spec.minLength}
      maxLength={spec.maxLength}
      pattern={spec.pattern?.replace(/^\^/, "").replace(/\$$/, "")}
      {...bound}
    />
  );
}

function monthsOf(dates: string[]): string[] {
  return [...new Set(dates.map((d) => d.slice(0, 7)))];
}

/** A month grid where only the selectable dates are buttons; the earliest is marked. */
function StartDateCalendar(props: { calendar: StartDates; value: string; set: (d: string) => void }) {
  const { calendar, value, set } = props;
  const selectable = useMemo(() => new Set(calendar.dates), [calendar]);
  const months = useMemo(() => monthsOf(calendar.dates), [calendar]);
  const [index, setIndex] = useState(0);
  const month = months[index];
  if (!month) return null;
  const [year, monthNumber] = month.split("-").map(Number);
  const first = new Date(Date.UTC(year, monthNumber - 1, 1));
  const days = new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
  const cells: (string | null)[] = Array(first.getUTCDay()).fill(null);
  for (let day = 1; day <= days; day += 1) {
    cells.push(`${month}-${String(day).padStart(2, "0")}`);
  }
  const title = new Date(Date.UTC(year, monthNumber - 1, 1)).toLocaleDateString(
    lang() === "ja" ? "ja-JP" : "en-GB",
    { year: "numeric", month: "long", timeZone: "UTC" },
  );
  return (
    <div class="calendar" role="group" aria-labelledby="calendar-title">
      <div class="calendar-head">
        <button type="button" onClick={() => setIndex(index - 1)} disabled={index === 0} aria-label={t("prevMonth")}>
          ‹
        </button>
        <strong id="calendar-title" aria-live="polite">
          {title}
        </strong>
        <button
          type="button"
          onClick={() => setIndex(index + 1)}
          disabled={index === months.length - 1}
          aria-label={t("nextMonth")}
        >
          ›
        </button>
      </div>
      <div class="calendar-grid">
        {t("weekdays")
          .split(",")
          .map((weekday) => (
            <span key={weekday} class="weekday" aria-hidden="true">
              {weekday}
            </span>
          ))}
        {cells.map((date, i) => {
          if (!date) return <span key={`blank-${i}`} />;
          const day = Number(date.slice(8));
          if (!selectable.has(date)) {
            return (
              <span key={date} class="day off" aria-hidden="true">
                {day}
              </span>
            );
          }
          const earliest = date === calendar.earliest;
          return (
            <button
              key={date}
              type="button"
              class={`day${earliest ? " earliest" : ""}`}
              data-date={date}
              aria-pressed={value === date}
              aria-label={earliest ? `${date} (${t("earliest")})` : date}
              onClick={() => set(date)}
            >
              {day}
              {earliest && <small>{t("earliest")}</small>}
            </button>
          );
        })}
      </div>
      <p class="hint">{t("earliestIs", { d: calendar.earliest })}</p>
      <CutoffRule calendar={calendar} />
      <p role="status">{value ? t("chosenDate", { d: value }) : t("noDateChosen")}</p>
    </div>
  );
}

/** R17 beside the calendar: the 13:00 cut-off and the order date an order placed now gets. */
function CutoffRule({ calendar }: { calendar: StartDates }) {
  return (
    <p class="hint cutoff-rule" id="cutoff-rule">
      {t("cutoffRule", { cutoff: calendar.cutoff })}
      {calendar.effective_order_date && (
        <>
          {" "}
          <strong class="effective-order-date">{t("effectiveOrderDate", { d: calendar.effective_order_date })}</strong>
        </>
      )}
    </p>
  );
}

/** The service's early-termination rule in words, with the amount it would be (R20). */
function terminationRule(service: Service, monthlyTotal: number): string {
  const rule = service.early_termination;
  if (rule.kind === "fixed" && rule.amount !== undefined) return t("etFixedRule", { amount: yen(rule.amount) });
  if (rule.kind === "remaining_months") return t("etRemainingRule", { monthly: yen(monthlyTotal) });
  return t("etNone");
}

function newKey(): string {
  // One Idempotency-Key per confirmation: a resubmitted click gets the same order back.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function OrderPage({ id }: { id: string }) {
  const loaded = useLoad(
    () =>
      Promise.all([
        api<Service>(`/api/v1/services/${id}`),
        api<StartDates>(`/api/v1/services/${id}/start-dates`),
      ]),
    [id],
  );
  const [planId, setPlanId] = useState("");
  const [quantity, setQuantity] = useState<number | "">("");
  const [startDate, setStartDate] = useState("");
  const [options, setOptions] = useState<Options>({});
  const [review, setReview] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const [accepted, setAccepted] = useState(false);

  if (!loaded.data) return <Loading error={loaded.error} />;
  const [service, calendar] = loaded.data;
  const plan = service.plans.find((p) => p.plan_id === planId) ?? service.plans[0];
  const qty = quantity === "" ? service.order_unit : quantity;
  const overLimit = qty > service.max_quantity_per_order;
  const fields = Object.entries(service.order_fields.properties ?? {});
  const required = new Set(service.order_fields.required ?? []);

  const toReview = (event: Event) => {
    event.preventDefault();
    if (!startDate) {
      setError(null);
      document.getElementById("calendar-title")?.focus();
      return;
    }
    setError(null);
    setAccepted(false);
    setReview(newKey());
  };

  const place = async () => {
    setSending(true);
    setError(null);
    try {
      const order = await api<{ id: string }>("/api/v1/orders", {
        method: "POST",
        headers: { "Idempotency-Key": review ?? newKey() },
        body: {
          service_id: service.id,
          plan_id: plan.plan_id,
          plan_version_id: plan.plan_version_id,
          quantity: qty,
          desired_start_date: startDate,
          options,
        },
      });
      navigate(`/orders/${order.id}?placed=1`);
    } catch (failure) {
      setError(failure);
    } finally {
      setSending(false);
    }
  };

  if (review) {
    // The amounts as the invoices will show them (R25): tax once per invoice, rounded down.
    const monthlyTotal = plan.monthly_fee * qty;
    const monthlyTax = consumptionTax(monthlyTotal);
    const rows: Term[] = [
      [t("service"), loc(service.name)],
      [t("plan"), loc(plan.name)],
      [t("unitFee"), yen(plan.monthly_fee)],
      [t("quantity"), String(qty)],
      [t("monthlyTotal"), yen(monthlyTotal), "review-monthly-total"],
      [t("monthlyTax"), yen(monthlyTax), "review-tax"],
      [t("monthlyWithTax"), yen(monthlyTotal + monthlyTax), "review-monthly-with-tax"],
      [t("initialFeeOnce"), yen(plan.initial_fee), "review-initial-fee"],
      plan.initial_fee > 0 && [t("initialFeeTax"), yen(consumptionTax(plan.initial_fee)), "review-initial-tax"],
      [t("startDate"), startDate],
      ...fields
        .filter(([name]) => options[name] !== undefined)
        .map(([name, spec]): Term => [
          fieldTitle(spec, name),
          typeof options[name] === "boolean" ? (options[name] ? t("yes") : t("none")) : String(options[name]),
        ]),
    ].filter((row): row is Term => Boolean(row));
    const terms: Term[] = [
      [
        t("minimumTerm"),
        service.minimum_term_months ? t("months", { n: service.minimum_term_months }) : t("none"),
        "review-minimum-term",
      ],
      [t("earlyTermination"), terminationRule(service, monthlyTotal), "review-termination"],
      [t("cancellableOnSite"), service.cancellable_on_site ? t("cancellableYes") : t("cancellableNo")],
    ];
    if (service.free_first_month) terms.push([t("freeFirstMonth"), t("yes")]);
    const submit = (event: Event) => {
      event.preventDefault();
      if (accepted) void place();
    };
    return (
      <form class="review" aria-labelledby="review-heading" onSubmit={submit}>
        <h2 id="review-heading">{t("confirmTitle")}</h2>
        <Terms rows={rows} />
        <p class="hint tax-note">{t("taxNote")}</p>
        <h3 id="review-terms-heading">{t("termsHeading")}</h3>
        <Terms rows={terms} />
        <Checkbox id="accept-terms" checked={accepted} set={setAccepted}>
          {t("acceptTerms")}
        </Checkbox>
        {!accepted && (
          <p class="hint" id="accept-terms-hint">
            {t("acceptTermsNeeded")}
          </p>
        )}
        <ProblemView error={error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setReview(null)}>
            {t("back")}
          </button>
          <button type="submit" disabled={sending || !accepted} aria-describedby={accepted ? undefined : "accept-terms-hint"}>
            {t("placeOrder")}
          </button>
        </div>
      </form>
    );
  }

  return (
    <form onSubmit={toReview} class="form" aria-labelledby="order-heading">
      <h2 id="order-heading">
        {t("orderTitle")}: {loc(service.name)}
      </h2>
      <SelectField
        id="plan"
        label={t("plan")}
        required
        options={service.plans.map((p) => [
          p.plan_id,
          `${loc(p.name)} — ${t("monthlyFee")} ${yen(p.monthly_fee)} / ${t("initialFee")} ${yen(p.initial_fee)}`,
        ])}
        value={plan.plan_id}
        set={setPlanId}
      />
      <InputField
        id="quantity"
        label={t("quantity")}
        required
        hint={t("quantityRule", { unit: service.order_unit, max: service.max_quantity_per_order })}
        type="number"
        min={service.order_unit}
        step={service.order_unit}
        aria-invalid={overLimit}
        value={String(qty)}
        set={(raw) => setQuantity(raw === "" ? "" : Number(raw))}
      />
      <fieldset>
        <legend>{t("startDate")}</legend>
        <StartDateCalendar calendar={calendar} value={startDate} set={setStartDate} />
      </fieldset>
      {fields.length > 0 && (
        <fieldset>
          <legend>{t("options")}</legend>
          {fields.map(([name, spec]) => (
            <OptionField
              key={name}
              name={name}
              spec={spec}
              required={required.has(name)}
              value={options[name]}
              set={(value) =>
                setOptions((old) => {
                  const next = { ...old };
                  if (value === undefined) delete next[name];
                  else next[name] = value;
                  return next;
                })
              }
            />
          ))}
        </fieldset>
      )}
      <button type="submit">{t("confirmStep")}</button>
    </form>
  );
}
