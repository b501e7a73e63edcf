// Public pages: the top page (notices, maintenance first, and the lineup), a
// service's detail with its plans and rules, the user guide and the privacy policy.
import { api } from "../api";
import { dateTime, loc, t, yen, type Localized } from "../i18n";
import { Link } from "../router";
import { Loading, useLoad } from "../ui";

type Notice = {
  id: string;
  category: "maintenance" | "emergency_maintenance" | "information";
  title: Localized;
  body: Localized;
  starts_at: string | null;
  ends_at: string | null;
  functions: string[];
  in_progress: boolean;
};

export type ServiceSummary = {
  id: string;
  slug: string;
  name: Localized;
  description: Localized;
  monthly_fee_from: number;
  requires_corporation: boolean;
};

export type Plan = {
  plan_id: string;
  plan_version_id: string;
  name: Localized;
  monthly_fee: number;
  initial_fee: number;
};

export type Service = ServiceSummary & {
  plans: Plan[];
  order_unit: number;
  max_quantity_per_order: number;
  takes_phone_orders: boolean;
  order_fields: JsonSchema;
  lead_time_business_days: number;
  requires_corporation: boolean;
  allows_account_transfer: boolean;
  free_first_month: boolean;
  cancellable_on_site: boolean;
  early_termination: { kind: string; amount?: number };
  minimum_term_months: number;
};

export type JsonSchema = {
  required?: string[];
  properties?: Record<string, FieldSchema>;
};

export type FieldSchema = {
  type?: string;
  title?: string;
  "x-title-en"?: string;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
};

const isMaintenance = (notice: Notice) => notice.category !== "information";

function NoticeItem({ notice }: { notice: Notice }) {
  const kind =
    notice.category === "information"
      ? t("information")
      : notice.category === "maintenance"
        ? t("maintenance")
        : t("emergencyMaintenance");
  return (
    <li class={isMaintenance(notice) ? "notice maintenance" : "notice"}>
      <p class="notice-kind">
        {kind}
        {notice.in_progress && <strong class="badge"> {t("inProgress")}</strong>}
      </p>
      <h3>{loc(notice.title)}</h3>
      {notice.starts_at && (
        <p>
          {t("period")}: {dateTime(notice.starts_at)} – {notice.ends_at && dateTime(notice.ends_at)}
        </p>
      )}
      {notice.functions.length > 0 && (
        <p>
          {t("affected")}: {notice.functions.join(", ")}
        </p>
      )}
      <p class="notice-body">{loc(notice.body)}</p>
    </li>
  );
}

export function TopPage() {
  const notices = useLoad(() => api<{ items: Notice[] }>("/api/v1/notices"));
  const services = useLoad(() => api<{ items: ServiceSummary[] }>("/api/v1/services?limit=100"));
  // The API lists maintenance first already; a stable sort keeps that promise here too.
  const sorted = [...(notices.data?.items ?? [])].sort(
    (a, b) => Number(isMaintenance(b)) - Number(isMaintenance(a)),
  );
  return (
    <>
      <section aria-labelledby="notices-heading">
        <h2 id="notices-heading">{t("notices")}</h2>
        <Loading error={notices.error}>
          {notices.data &&
            (sorted.length ? (
              <ul class="notices">
                {sorted.map((notice) => (
                  <NoticeItem key={notice.id} notice={notice} />
                ))}
              </ul>
            ) : (
              <p>{t("noNotices")}</p>
            ))}
        </Loading>
      </section>
      <section aria-labelledby="lineup-heading">
        <h2 id="lineup-heading">{t("lineup")}</h2>
        <Loading error={services.error}>
          {services.data && (
            <ul class="lineup">
              {services.data.items.map((service) => (
                <li key={service.id} class="card">
                  <h3>
                    <Link href={`/services/${service.id}`}>{loc(service.name)}</Link>
                  </h3>
                  <p>{loc(service.description)}</p>
                  <p class="price">
                    {t("monthlyFrom")} {yen(service.monthly_fee_from)}
                    {t("fromSuffix")}
                  </p>
                  {service.requires_corporation && <p class="badge">{t("corporationsOnly")}</p>}
                </li>
              ))}
            </ul>
          )}
        </Loading>
      </section>
    </>
  );
}

function earlyTermination(service: Service): string {
  const rule = service.early_termination;
  if (rule.kind === "remaining_months") return t("etRemaining");
  if (rule.kind === "fixed" && rule.amount !== undefined) return yen(rule.amount);
  return t("none");
}

export function ServicePage({ id, loggedIn }: { id: string; loggedIn: boolean }) {
  const { data: service, error } = useLoad(() => api<Service>(`/api/v1/services/${id}`), [id]);
  if (!service) return <Loading error={error} />;
  const rules: [string, string][] = [
    [t("orderUnit"), String(service.order_unit)],
    [t("maxQuantity"), String(service.max_quantity_per_order)],
    [t("leadTime"), t("leadTimeValue", { n: service.lead_time_business_days })],
    [
      t("minimumTerm"),
      service.minimum_term_months ? t("months", { n: service.minimum_term_months }) : t("none"),
    ],
    [t("earlyTermination"), earlyTermination(service)],
    [t("cancellableOnSite"), service.cancellable_on_site ? t("cancellableYes") : t("cancellableNo")],
    [t("accountTransfer"), service.allows_account_transfer ? t("available") : t("unavailable")],
    [t("phoneOrders"), service.takes_phone_orders ? t("available") : t("unavailable")],
  ];
  if (service.free_first_month) rules.push([t("freeFirstMonth"), t("yes")]);
  if (service.requires_corporation) rules.push([t("entityType"), t("corporationsOnly")]);
  return (
    <article>
      <h2>{loc(service.name)}</h2>
      <p>{loc(service.description)}</p>
      <h3>{t("plans")}</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">{t("plan")}</th>
            <th scope="col">{t("monthlyFee")}</th>
            <th scope="col">{t("initialFee")}</th>
          </tr>
        </thead>
        <tbody>
          {service.plans.map((plan) => (
            <tr key={plan.plan_id}>
              <th scope="row">{loc(plan.name)}</th>
              <td>{yen(plan.monthly_fee)}</td>
              <td>{yen(plan.initial_fee)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t("rules")}</h3>
      <dl class="rules">
        {rules.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {loggedIn ? (
        <Link class="button" href={`/services/${service.id}/order`}>
          {t("orderThis")}
        </Link>
      ) : (
        <p>
          <Link href={`/login?next=/services/${service.id}/order`}>{t("loginToOrder")}</Link>
        </p>
      )}
    </article>
  );
}

const GUIDE: [Localized, Localized][] = [
  [
    { ja: "申し込みに必要なものは？", en: "What do I need to order?" },
    {
      ja: "会員登録（メールアドレスの確認まで）が必要です。法人のお客さまは法人番号を、個人事業主のお客さまは本人確認書類をご用意ください。",
      en: "A registered account with a verified email. Corporations enter their corporate number; sole proprietors upload an identity document.",
    },
  ],
  [
    { ja: "利用開始日はいつから選べますか？", en: "Which start dates can I choose?" },
    {
      ja: "サービスごとの準備期間（営業日）以降の営業日から選べます。申込画面のカレンダーには選択できる日だけが表示され、最短日に印が付きます。",
      en: "Business days after the service's lead time. The order form's calendar shows only the dates you can choose and marks the earliest.",
    },
  ],
  [
    { ja: "一度に申し込める数量は？", en: "How many can I order at once?" },
    {
      ja: "サービスごとに申込単位と1回の上限があります。上限を超える場合はコンタクトセンターへお電話ください（電話受付のあるサービスのみ）。",
      en: "Each service has an order unit and a per-order maximum. Above it, call the contact centre (for services that take phone orders).",
    },
  ],
  [
    { ja: "請求書はどこで見られますか？", en: "Where are my invoices?" },
    {
      ja: "マイページの「請求書」からPDFをダウンロードできます。",
      en: "On My Page under Invoices, as PDF downloads.",
    },
  ],
];

export function HelpPage() {
  return (
    <article>
      <h2>{t("navHelp")}</h2>
      <dl class="faq">
        {GUIDE.map(([question, answer]) => (
          <div key={question.en}>
            <dt>{loc(question)}</dt>
            <dd>{loc(answer)}</dd>
          </div>
        ))}
      </dl>
    </article>
  );
}

export function PrivacyPage() {
  return (
    <article>
      <h2>{t("navPrivacy")}</h2>
      <p>
        {loc({
          ja: "bizmallは、ご登録いただいた個人情報をサービスの提供、ご請求、お問い合わせへの回答のためにのみ利用し、法令に基づく場合を除き第三者に提供しません。本人確認書類は審査後、定められた期間を過ぎると削除します。",
          en: "bizmall uses the personal data you register only to provide the services, to bill you and to answer your inquiries, and shares it with no third party unless the law requires. Identity documents are deleted once their retention period after review has passed.",
        })}
      </p>
    </article>
  );
}
