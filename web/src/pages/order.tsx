// The order form: built from the service's order-field schema, quantity limits
// shown up front, a calendar of the selectable start dates (earliest marked), a
// confirmation step, and the API's refusal (R12, R14 …) in its own words.
import { useMemo, useState } from "preact/hooks";
import { api } from "../api";
import { lang, loc, t, yen } from "../i18n";
import { navigate } from "../router";
import { Checkbox, InputField, SelectField } from "../forms";
import { Terms, type Term } from "../lists";
import { Loading, ProblemView, useLoad } from "../ui";
import type { FieldSchema, Service } from "./public";

type StartDates = { earliest: string; dates: string[] };
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
      <p role="status">{value ? t("chosenDate", { d: value }) : t("noDateChosen")}</p>
    </div>
  );
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
    const rows: Term[] = [
      [t("service"), loc(service.name)],
      [t("plan"), loc(plan.name)],
      [t("monthlyFee"), yen(plan.monthly_fee)],
      [t("initialFee"), yen(plan.initial_fee)],
      [t("quantity"), String(qty)],
      [t("startDate"), startDate],
      ...fields
        .filter(([name]) => options[name] !== undefined)
        .map(([name, spec]): Term => [
          fieldTitle(spec, name),
          typeof options[name] === "boolean" ? (options[name] ? t("yes") : t("none")) : String(options[name]),
        ]),
    ];
    return (
      <section aria-labelledby="review-heading">
        <h2 id="review-heading">{t("confirmTitle")}</h2>
        <Terms rows={rows} />
        <ProblemView error={error} />
        <div class="actions">
          <button type="button" class="secondary" onClick={() => setReview(null)}>
            {t("back")}
          </button>
          <button type="button" onClick={place} disabled={sending}>
            {t("placeOrder")}
          </button>
        </div>
      </section>
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
