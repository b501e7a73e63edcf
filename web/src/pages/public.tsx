// Public pages: the top page (notices, maintenance first, and the lineup), a
// service's detail with its plans and rules, and the privacy policy (the user guide is help.tsx).
import { dateTime, functionLabel, labels, loc, t, yen, type Localized } from "../i18n";
import { useState } from "preact/hooks";
import { InputField, SelectField } from "../forms";
import { Link, queryParam } from "../router";
import { MoreButton, PAGE_SIZE, Table, Terms, usePaged, type List, type Term } from "../lists";
import { Loading, useApi } from "../ui";

export const NOTICE_KINDS = ["information", "maintenance", "emergency_maintenance"] as const;

export const noticeKindLabel = labels(
  { maintenance: "maintenance", emergency_maintenance: "emergencyMaintenance" },
  "information",
);

type Notice = {
  id: string;
  category: (typeof NOTICE_KINDS)[number];
  title: Localized;
  body: Localized;
  starts_at: string | null;
  ends_at: string | null;
  functions: string[];
  in_progress: boolean;
};

export type ServiceSummary = {
  id: string;
  category: string;
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
  return (
    <li class={isMaintenance(notice) ? "notice maintenance" : "notice"}>
      <p class="notice-kind">
        {noticeKindLabel(notice.category)}
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
          {t("affected")}: {notice.functions.map(functionLabel).join(", ")}
        </p>
      )}
      <p class="notice-body">{loc(notice.body)}</p>
    </li>
  );
}

/** A category code in words (the lineup's categories are free codes: an unknown one reads as itself). */
export const categoryName = labels({
  telephony: "svcCatTelephony",
  office: "svcCatOffice",
  storage: "svcCatStorage",
  network: "svcCatNetwork",
  security: "svcCatSecurity",
  backup: "svcCatBackup",
  conferencing: "svcCatConferencing",
  iot: "svcCatIot",
});

/** The lineup with its category filter and search (the catalog API's ``category`` and ``q``), paged. */
function Lineup() {
  const [category, setCategory] = useState(queryParam("category") ?? "");
  const [typed, setTyped] = useState(queryParam("q") ?? "");
  const [query, setQuery] = useState(typed.trim());
  // The categories on offer, from the whole lineup (unfiltered, one page of the most).
  const all = useApi<List<ServiceSummary>>("/api/v1/services?limit=100");
  const categories = [...new Set((all.data?.items ?? []).map((service) => service.category))].sort();
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (category) params.set("category", category);
  if (query) params.set("q", query);
  const services = usePaged<ServiceSummary>(`/api/v1/services?${params}`);
  const remember = (nextCategory: string, nextQuery: string) => {
    // The filter stays in the address: a reload or a shared link shows the same list.
    const shown = new URLSearchParams();
    if (nextCategory) shown.set("category", nextCategory);
    if (nextQuery) shown.set("q", nextQuery);
    history.replaceState(null, "", shown.size ? `/?${shown}` : "/");
  };
  const search = (event: Event) => {
    event.preventDefault();
    setQuery(typed.trim());
    remember(category, typed.trim());
  };
  const choose = (next: string) => {
    setCategory(next);
    remember(next, query);
  };
  const filtered = Boolean(category || query);
  return (
    <section aria-labelledby="lineup-heading">
      <h2 id="lineup-heading">{t("lineup")}</h2>
      <form class="lineup-filter" role="search" aria-label={t("searchServices")} onSubmit={search}>
        <SelectField
          id="lineup-category"
          label={t("serviceCategory")}
          value={category}
          set={choose}
          options={[["", t("allCategories")], ...categories.map((code) => [code, categoryName(code)] as const)]}
        />
        <InputField id="lineup-q" label={t("searchWords")} type="search" maxLength={100} value={typed} set={setTyped}>
          <button type="submit">{t("search")}</button>
        </InputField>
      </form>
      {services.data && filtered && (
        <p role="status" class="lineup-count">
          {services.more ? t("lineupMatchesMore", { n: services.data.items.length }) : t("lineupMatches", { n: services.data.items.length })}
        </p>
      )}
      <Loading error={services.error}>
        {services.data &&
          (services.data.items.length ? (
            <ul class="lineup">
              {services.data.items.map((service) => (
                <li key={service.id} class="card" data-category={service.category}>
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
          ) : (
            <p class="no-services">{t("noServicesFound")}</p>
          ))}
      </Loading>
      <MoreButton more={services.more} busy={services.busy} />
    </section>
  );
}

export function TopPage() {
  const notices = useApi<List<Notice>>("/api/v1/notices");
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
      <Lineup />
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
  const { data: service, error } = useApi<Service>(`/api/v1/services/${id}`);
  if (!service) return <Loading error={error} />;
  const rules: Term[] = [
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
      <Table
        class="plans"
        columns={[t("plan"), t("monthlyFee"), t("initialFee")]}
        items={service.plans}
        row={(plan) => (
          <tr key={plan.plan_id}>
            <th scope="row">{loc(plan.name)}</th>
            <td>{yen(plan.monthly_fee)}</td>
            <td>{yen(plan.initial_fee)}</td>
          </tr>
        )}
      />
      <h3>{t("rules")}</h3>
      <Terms rows={rules} />
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

const PRIVACY: [Localized, Localized][] = [
  [
    { ja: "利用目的", en: "What we use it for" },
    {
      ja: "ご登録いただいた情報（氏名、法人名・屋号、住所、電話番号、メールアドレスなど）は、サービスの提供、開通のご連絡、ご請求、お問い合わせへの回答のためにのみ利用します。",
      en: "The details you register (name, company or trade name, address, phone, email and so on) are used only to provide the services, to tell you about activation, to bill you and to answer your inquiries.",
    },
  ],
  [
    { ja: "第三者への提供", en: "Sharing" },
    {
      ja: "法令に基づく場合を除き、ご本人の同意なく第三者に提供しません。",
      en: "We share it with no third party without your consent unless the law requires it.",
    },
  ],
  [
    { ja: "本人確認書類", en: "Identity documents" },
    {
      ja: "個人事業主のお客さまの本人確認書類は暗号化して保管し、審査の担当者だけが閲覧します（閲覧は記録されます）。審査後、定められた保管期間を過ぎるとファイルを削除します。マイナンバーカードの裏面は受け付けません。",
      en: "Sole proprietors' identity documents are stored encrypted and seen only by the reviewing operators (every viewing is recorded). Files are deleted once their retention period after review has passed. We never accept the back of a My Number card.",
    },
  ],
  [
    { ja: "クッキーとブラウザーの保存領域", en: "Cookies and browser storage" },
    {
      ja: "ログインの継続のため、スクリプトから読めないクッキーを1つだけ使います。ブラウザーには表示言語の設定だけを保存します。",
      en: "To keep you logged in we use a single cookie that scripts cannot read. The browser stores only your display-language choice.",
    },
  ],
  [
    { ja: "開示・訂正・退会", en: "Access, correction and withdrawal" },
    {
      ja: "登録情報はマイページで確認・変更できます。退会もマイページから申請できます。そのほかのご依頼はお問い合わせフォームからどうぞ。",
      en: "You can see and change your details on My Page and request withdrawal there. For anything else, please use the inquiry form.",
    },
  ],
];

export function PrivacyPage() {
  return (
    <article aria-labelledby="privacy-heading">
      <h2 id="privacy-heading">{t("navPrivacy")}</h2>
      {PRIVACY.map(([heading, text]) => (
        <section key={heading.en}>
          <h3>{loc(heading)}</h3>
          <p>{loc(text)}</p>
        </section>
      ))}
    </article>
  );
}
