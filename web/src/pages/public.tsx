// Public pages: the top page (notices, maintenance first, and the lineup), a
// service's detail with its plans and rules, the user guide and the privacy policy.
import { dateTime, functionLabel, labels, loc, t, yen, type Localized } from "../i18n";
import { Link } from "../router";
import { Table, Terms, type List, type Term } from "../lists";
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

export function TopPage() {
  const notices = useApi<List<Notice>>("/api/v1/notices");
  const services = useApi<List<ServiceSummary>>("/api/v1/services?limit=100");
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

type Guide = { section: Localized; items: [Localized, Localized][] };

// The user guide's questions, answered in our own words for how bizmall works.
const GUIDE: Guide[] = [
  {
    section: { ja: "このサイトについて", en: "About this site" },
    items: [
      [
        { ja: "bizmallとは何ですか？", en: "What is bizmall?" },
        {
          ja: "法人・個人事業主のお客さま向けに、ICTサービスをオンラインで申し込めるサイトです。サービスの一覧はトップページにあります。ラインナップは予告なく変わることがあります。",
          en: "An online order site for ICT services for companies and sole proprietors. The lineup is on the top page and may change without notice.",
        },
      ],
      [
        { ja: "いつでも利用できますか？", en: "When can I use the site?" },
        {
          ja: "24時間365日ご利用いただけます。メンテナンスで一部の機能が使えなくなるときは、トップページのお知らせで事前にご案内します（緊急のメンテナンスは事前のご案内なしで行うことがあります）。",
          en: "Around the clock. When maintenance stops some functions, the top page's notices say so in advance (emergency maintenance may come without notice).",
        },
      ],
      [
        { ja: "どのブラウザーで使えますか？", en: "Which browsers are supported?" },
        {
          ja: "Microsoft Edge、Google Chrome、Mozilla Firefoxの最新版です。",
          en: "The latest Microsoft Edge, Google Chrome and Mozilla Firefox.",
        },
      ],
    ],
  },
  {
    section: { ja: "会員登録とログイン", en: "Registration and login" },
    items: [
      [
        { ja: "会員登録しないと申し込めませんか？", en: "Can I order without registering?" },
        {
          ja: "申し込みには会員登録が必要です。登録後に届くメールのリンクを開くと登録が完了し、すぐにご利用いただけます。",
          en: "No. Register, then open the link in the email we send; your account works right away.",
        },
      ],
      [
        { ja: "法人番号がない場合は？", en: "I have no corporate number." },
        {
          ja: "個人事業主として屋号で登録できます。申し込みの前にマイページから本人確認書類（運転免許証など）を提出してください。審査の状況はマイページで確認できます。法人のみが申し込めるサービスもあります。",
          en: "Register as a sole proprietor under your trade name and submit an identity document (a driver's licence, say) from My Page before ordering; its review state is shown there. Some services are for corporations only.",
        },
      ],
      [
        { ja: "同じ会社で何人も登録できますか？", en: "Can several people of one company register?" },
        {
          ja: "できます。アカウントは担当者ごとです。ほかの担当者の申込履歴は見られません。",
          en: "Yes: accounts are per person, and nobody sees another person's orders.",
        },
      ],
      [
        { ja: "登録情報やパスワードを変えたいときは？", en: "How do I change my details or password?" },
        {
          ja: "ログインしてマイページの「登録情報の変更」「パスワード変更」から変更できます。連絡先メールアドレスを変えてもログインIDは変わりません。",
          en: "Log in and use Profile or Change password on My Page. Changing the contact email does not change the login ID.",
        },
      ],
      [
        { ja: "パスワードを忘れました。", en: "I forgot my password." },
        {
          ja: "ログイン画面の「パスワードをお忘れの方」から再設定用のメールを受け取れます。",
          en: "Use “Forgot your password?” on the login page to get a reset link by email.",
        },
      ],
      [
        { ja: "退会するには？", en: "How do I withdraw?" },
        {
          ja: "マイページの「退会」から申請します。未完了の申込や、終了していない一部サービスの契約があると退会できず、その申込・契約が表示されます。",
          en: "Request it under Withdrawal on My Page. Open orders, or contracts of some services that have not ended, block it, and they are listed.",
        },
      ],
    ],
  },
  {
    section: { ja: "お申し込み", en: "Ordering" },
    items: [
      [
        { ja: "利用開始日はいつから選べますか？", en: "Which start dates can I choose?" },
        {
          ja: "サービスごとの準備期間（営業日）以降の営業日から選べます。申込画面のカレンダーには選べる日だけが表示され、最短日に印が付きます。13時以降のお申し込みは翌営業日の受付になります。",
          en: "Business days after the service's lead time. The order form's calendar shows only the dates you can choose and marks the earliest. Orders after 13:00 count from the next business day.",
        },
      ],
      [
        { ja: "一度に申し込める数量は？", en: "How many can I order at once?" },
        {
          ja: "サービスごとに申込単位と1回の上限があり、申込画面に表示されます。上限を超える場合はコンタクトセンターへお電話ください（電話受付のあるサービスのみ）。",
          en: "Each service has an order unit and a per-order maximum, shown on the order form. Above it, call the contact centre (for services that take phone orders).",
        },
      ],
      [
        { ja: "申込の状況はどこで見られますか？", en: "Where do I see my orders?" },
        {
          ja: "マイページの「購入履歴」です。申込ごとに状態の履歴を確認できます。確認メールが届かないときは、迷惑メールの設定と登録アドレスをご確認ください。",
          en: "Under Purchase history on My Page, with each order's status history. If a confirmation email does not arrive, check your spam filter and registered address.",
        },
      ],
      [
        { ja: "申込内容を変えたい・取り消したいときは？", en: "Can I change or cancel an order?" },
        {
          ja: "サイトからは変更・取り消しできません。申込の詳細画面か申込確認メールのリンクから、その申込についてお問い合わせください。",
          en: "Not on the site. Send an inquiry about that order from its detail page or from the link in the order email.",
        },
      ],
    ],
  },
  {
    section: { ja: "お支払い", en: "Payment" },
    items: [
      [
        { ja: "支払い方法は？", en: "How can I pay?" },
        {
          ja: "請求書払いと口座振替です（クレジットカードは使えません）。はじめは請求書払いで、口座振替はマイページの「お支払い方法」から申し込めます。手続きの完了まで約2か月かかります。口座振替に対応していないサービスもあります。",
          en: "By invoice or account transfer (no credit cards). You start on invoice payment; apply for account transfer under Payment method on My Page. It takes about two months. Some services do not allow it.",
        },
      ],
      [
        { ja: "請求書はいつ、どこで？", en: "When and where are my invoices?" },
        {
          ja: "サービスごとに1通、利用月の翌月に発行され、マイページの「請求書」からPDFをダウンロードできます。初月無料のサービスは翌月分からの請求です。請求書払いでは請求書が領収書を兼ねます。",
          en: "One per service, issued the month after the usage month, as PDF downloads under Invoices on My Page. Services with a free first month bill from the next month. With invoice payment the invoice includes the receipt.",
        },
      ],
    ],
  },
  {
    section: { ja: "解約", en: "Cancellation" },
    items: [
      [
        { ja: "途中で解約できますか？", en: "Can I cancel during the term?" },
        {
          ja: "サイトから解約できるサービスは、マイページの契約詳細で解約金を確認してから解約できます。それ以外のサービスはコンタクトセンターへお電話ください。解約金はサービスごとに異なり、サービスの詳細ページに記載しています。",
          en: "Where a service allows it, cancel from the contract on My Page after seeing the fee. For other services, call the contact centre. Fees differ by service and are shown on each service's page.",
        },
      ],
    ],
  },
];

export function HelpPage() {
  return (
    <article aria-labelledby="help-heading">
      <h2 id="help-heading">{t("navHelp")}</h2>
      {GUIDE.map((group) => (
        <section key={group.section.en} aria-labelledby={`help-${group.section.en.replace(/\W+/g, "-")}`}>
          <h3 id={`help-${group.section.en.replace(/\W+/g, "-")}`}>{loc(group.section)}</h3>
          <Terms class="faq" rows={group.items.map(([question, answer]) => [loc(question), loc(answer)] as const)} />
        </section>
      ))}
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
