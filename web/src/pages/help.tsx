// The user guide: every question of the original guide, answered in our own words for how
// bizmall works, in Japanese and English. Each entry has a stable id (also its anchor,
// e.g. /help#login-id); tests/architecture/test_help_covers_the_guide.py checks that every
// question of the guide has its entry here with both languages.
import { CONTACT_CENTER, CONTACT_CENTER_TEXT } from "../contact-center";
import { loc, t, type Localized } from "../i18n";

type Entry = { id: string; q: Localized; a: Localized };
type Section = { id: string; title: Localized; entries: Entry[] };

const CC = CONTACT_CENTER_TEXT;

export const GUIDE: Section[] = [
  {
    id: "about",
    title: { ja: "このサイトについて", en: "About this site" },
    entries: [
      {
        id: "about-site",
        q: { ja: "bizmallとはどんなサイトですか？", en: "What is bizmall?" },
        a: {
          ja: "法人・個人事業主のお客さまが業務用のICTサービスをオンラインで申し込めるサイトです。取り扱いサービスはトップページに一覧があり、内容は予告なく変わることがあります。",
          en: "A site where companies and sole proprietors order ICT services for their business online. The services are listed on the top page; the lineup may change without notice.",
        },
      },
      {
        id: "order-flow",
        q: { ja: "申し込みはどんな順序で進みますか？", en: "What are the steps of an order?" },
        a: {
          ja: "①会員登録（届いたメールのリンクで完了）→②サービスを選び、プラン・数量・利用開始日を入力→③確認画面で月額合計・初期費用・税額・解約条件を確かめて確定→④申込確認メールが届き、進み具合はマイページ内の「購入履歴」で確認→⑤開通するとお知らせが届きます。手順の細部はサービスによって違います。",
          en: "1) Register (finished by the link we email you). 2) Pick a service and enter the plan, quantity and start date. 3) Check the monthly total, initial fee, tax and termination terms on the review step and confirm. 4) A confirmation email arrives and Purchase history on My Page shows the progress. 5) You are told when the service is activated. The details vary by service.",
        },
      },
      {
        id: "site-hours",
        q: { ja: "サイトはいつ使えますか？", en: "When can I use the site?" },
        a: {
          ja: "毎日24時間お使いいただけます。メンテナンスで機能が止まるときは、前もってトップページのお知らせに掲載します。ただし急ぎのメンテナンスは予告なしに行うことがあります。",
          en: "At any hour, every day. When maintenance stops some functions we announce it beforehand in the top page's notices, though urgent maintenance may happen without notice.",
        },
      },
      {
        id: "personal-data",
        q: { ja: "登録した情報は何に使われますか？", en: "What are my registered details used for?" },
        a: {
          ja: "サービスの提供、開通のご連絡、ご請求、お問い合わせへの回答に使います。扱い方の詳細は「プライバシーポリシー」のページをご覧ください。",
          en: "To provide the services, tell you about activation, bill you and answer your inquiries. The Privacy policy page explains how we handle them.",
        },
      },
      {
        id: "browsers",
        q: { ja: "対応しているブラウザーは？", en: "Which browsers are supported?" },
        a: {
          ja: "Microsoft Edge、Google Chrome、Mozilla Firefoxのそれぞれ最新のメジャーバージョンです。",
          en: "The latest major version of Microsoft Edge, Google Chrome and Mozilla Firefox.",
        },
      },
    ],
  },
  {
    id: "registration",
    title: { ja: "会員登録と登録情報", en: "Registration and your details" },
    entries: [
      {
        id: "how-to-register",
        q: { ja: "会員登録のしかたは？", en: "How do I register?" },
        a: {
          ja: "画面上部の「会員登録」から、会社名（または屋号）、担当者名、メールアドレス、電話番号、住所、パスワードを入力します。フリガナと部署名は任意です。送信後に届くメールのリンクを開いてください。",
          en: "Use Register at the top of the page and enter your company (or trade) name, your name, email, phone, address and a password; the name reading and department are optional. Then open the link in the email we send you.",
        },
      },
      {
        id: "no-corporate-number",
        q: { ja: "法人番号を持っていない場合は？", en: "What if I have no corporate number?" },
        a: {
          ja: "個人事業主として屋号で登録できます。その場合は運転免許証などご本人の確認書類をマイページから提出していただき、審査のため希望の開始日に間に合わないことがあります。法人でないと申し込めないサービスもあります。",
          en: "Register as a sole proprietor under your trade name. You then submit a personal identity document (a driver's licence, say) from My Page; its review may push the start past the date you wanted. Some services are open to corporations only.",
        },
      },
      {
        id: "time-to-start",
        q: { ja: "登録してから使えるようになるまでの時間は？", en: "How soon can I use the site after registering?" },
        a: {
          ja: "登録の申し込み後に届くメールのリンクを開いた時点で登録が完了し、その時から申し込みを含むすべての機能を使えます。リンクの期限が切れたときは、ログイン画面から確認メールを送り直せます。",
          en: "Registration is complete the moment you open the link in the email we send, and you can use the site straight away. If the link has expired, have it sent again from the login page.",
        },
      },
      {
        id: "several-users",
        q: { ja: "同じ会社の複数の担当者が登録できますか？", en: "Can several people of one company register?" },
        a: {
          ja: "はい。アカウントは会社ごとではなく担当者ひとりずつに作るため、何人でも登録できます。",
          en: "Yes. Accounts belong to people, not companies, so any number of staff can register.",
        },
      },
      {
        id: "order-without-account",
        q: { ja: "会員登録をせずに申し込めますか？", en: "Can I order without an account?" },
        a: {
          ja: "できません。お申し込みには会員登録が必要です。",
          en: "No. Every order needs a registered account.",
        },
      },
      {
        id: "change-details",
        q: { ja: "登録した会社名や住所などを変えるには？", en: "How do I change my registered details?" },
        a: {
          ja: "ログインして、マイページの「登録情報の変更」から氏名・会社名・住所・電話番号・連絡先メールアドレスなどを変更できます。連絡先メールアドレスを変えても、ログインIDはそのままです。",
          en: "Log in and use Profile on My Page to change your name, company name, address, phone, contact email and so on. Changing the contact email leaves your login ID as it was.",
        },
      },
      {
        id: "change-login-id-password",
        q: { ja: "ログインIDやパスワードを変えるには？", en: "How do I change my login ID or password?" },
        a: {
          ja: "パスワードはマイページの「パスワード変更」で変えられます。ログインIDは変更できないため、別のIDにしたい場合はいったん退会し、あらためて会員登録してください（同じメールアドレスでも再登録できます）。",
          en: "Change the password under Change password on My Page. The login ID cannot change: to use a different one, withdraw and register again (the same address may register again).",
        },
      },
      {
        id: "forgot-password",
        q: { ja: "パスワードがわからなくなりました。", en: "I have forgotten my password." },
        a: {
          ja: "ログイン画面にある「パスワードをお忘れの方」のリンクから、再設定用のリンクをメールで受け取れます。",
          en: "Use “Forgot your password?” on the login page to receive a reset link by email.",
        },
      },
      {
        id: "withdraw",
        q: { ja: "退会するには？", en: "How do I withdraw?" },
        a: {
          ja: "ログインしてマイページの「退会」から申請します。一部のサービスは契約が終了（または解約が完了）するまで退会できず、その場合は妨げになっている申込・契約を表示します。",
          en: "Log in and request it under Withdrawal on My Page. For some services you can only withdraw once the contract has ended or its cancellation is complete; whatever blocks it is listed.",
        },
      },
    ],
  },
  {
    id: "ordering",
    title: { ja: "お申し込み", en: "Ordering" },
    entries: [
      {
        id: "login-id",
        q: { ja: "ログインIDには何を使いますか？", en: "What is my login ID?" },
        a: {
          ja: "会員登録のときに入力したメールアドレスがログインIDになります。ログインIDはあとから変えられません（連絡先メールアドレスを変えても同じです）。",
          en: "The email address you entered when you registered. It cannot be changed later, even if you change your contact email.",
        },
      },
      {
        id: "over-maximum",
        q: { ja: "1回の上限を超える数量を申し込みたいときは？", en: "What if I need more than the maximum per order?" },
        a: {
          ja: `サービスごとに申込単位と1回あたりの上限があり、申込画面に表示されます。上限を超える数量はコンタクトセンター ${CC.ja} へお電話でお申し込みください。ただし電話での申し込みを受け付けていないサービスもあり、その場合はサービスの詳細ページにその旨を記載しています。`,
          en: `Each service has an order unit and a maximum per order, shown on the order form. For more, call the contact center at ${CC.en}. Some services take no phone orders; their service page says so.`,
        },
      },
      {
        id: "purchase-history",
        q: { ja: "申し込んだ内容はどこで確認できますか？", en: "Where can I see my orders?" },
        a: {
          ja: "ログインして、マイページにある「購入履歴」を開いてください。申込ごとに状態の移り変わりも確認できます。",
          en: "Log in and open Purchase history on My Page; each order shows how its status has changed.",
        },
      },
      {
        id: "colleagues-orders",
        q: { ja: "同じ会社のほかの担当者の申込は見られますか？", en: "Can I see my colleagues' orders?" },
        a: {
          ja: "見られません。アカウントは担当者ひとりずつのもので、購入履歴にはご自身の申込だけが表示されます。",
          en: "No. Accounts are personal, so Purchase history lists only your own orders.",
        },
      },
      {
        id: "several-addresses",
        q: { ja: "申込確認メールを2つ以上のアドレスに送ってもらえますか？", en: "Can order confirmations go to several addresses?" },
        a: {
          ja: "できません。確認メールはマイページに登録されている連絡先メールアドレス1件だけに送られ、写しの送付先も追加できません。届け先を変えたいときは、連絡先メールアドレスを新しい届け先に変えてください。",
          en: "No. Confirmations go only to the one contact email registered on My Page, with no copies. To receive them elsewhere, change your contact email.",
        },
      },
      {
        id: "confirmation-missing",
        q: { ja: "申込確認メールが届きません。", en: "My order confirmation has not arrived." },
        a: {
          ja: "確認メールは申込の完了時に自動で送られます。届かないときは、マイページの連絡先メールアドレスに誤りがないか、迷惑メールとして振り分けられていないかをご確認ください。購入履歴に出ていない申込は、完了していません。",
          en: "It is sent automatically when the order is complete. If it is missing, check the contact email on My Page and your spam folder. An order that is not in Purchase history was not placed.",
        },
      },
      {
        id: "start-date",
        q: { ja: "申し込み後、いつから使えますか？", en: "When does the service start after I order?" },
        a: {
          ja: "サービスごとに準備にかかる営業日数が決まっています。申込画面のカレンダーで選べる最初の日が最短の開始日で、選んだ日が開始予定日になります。13時以降の申し込みは翌営業日の受付として数えます。申込内容に不足があると、さらに日数がかかることがあります。",
          en: "Each service needs a set number of business days to prepare. The first date you can pick on the order form's calendar is the earliest start, and the date you pick is the planned start. An order placed at or after 13:00 counts from the next business day. Missing details in an order can add more days.",
        },
      },
      {
        id: "activation-missing",
        q: { ja: "開通のお知らせが届きません。", en: "I have not received the activation notice." },
        a: {
          ja: "開通のお知らせを出す時期はサービスによって違います。開始予定日を過ぎても届かない場合は、購入履歴のその申込からお問い合わせフォームでご連絡ください。お知らせがメールで届くサービスでは、迷惑メールのフォルダーもご確認ください。",
          en: "When it is sent depends on the service. If it has not come by the planned start date, send an inquiry from that order in Purchase history. Where the notice comes by email, also look in your spam folder.",
        },
      },
      {
        id: "change-cancel-order",
        q: { ja: "申込後に内容を変えたり取り消したりできますか？", en: "Can I change or cancel an order after placing it?" },
        a: {
          ja: "サイト上では変更も取り消しもできません。申込確認メールのリンクか、購入履歴のその申込から、お問い合わせを送ってください。",
          en: "Not on the site. Send an inquiry about that order through the link in its confirmation email or from the order in Purchase history.",
        },
      },
    ],
  },
  {
    id: "payment",
    title: { ja: "お支払い", en: "Payment" },
    entries: [
      {
        id: "payment-methods",
        q: { ja: "どの支払い方法が使えますか？", en: "Which payment methods are there?" },
        a: {
          ja: "請求書払いと口座振替の2つです。最初は請求書払いで登録され、口座振替はマイページの「お支払い方法」から申し込めます。口座振替の手続きが終わるまで2か月ほどかかり、口座振替を使えないサービスもあります。",
          en: "Invoice payment and account transfer. You start on invoice payment; apply for account transfer under Payment method on My Page. Setting it up takes about two months, and some services cannot be paid by account transfer.",
        },
      },
      {
        id: "credit-card",
        q: { ja: "クレジットカードで払えますか？", en: "Can I pay by credit card?" },
        a: {
          ja: "クレジットカードはお使いいただけません。請求書払いか口座振替をお選びください（口座振替に対応していないサービスもあります）。",
          en: "No. Choose invoice payment or account transfer (some services do not allow account transfer).",
        },
      },
      {
        id: "invoice-per-service",
        q: { ja: "請求書はどのような単位で届きますか？", en: "How are invoices issued?" },
        a: {
          ja: "請求書はサービスごとに1通ずつ発行され、マイページの「請求書」からPDFでも確認できます。複数の請求書を1つにまとめて郵送してほしい場合は、サービスが始まってから届いた請求書で問い合わせ先の電話番号を確かめ、そちらへご連絡ください。",
          en: "One invoice per service, also available as a PDF under Invoices on My Page. To have several invoices mailed together in one envelope, call the number printed on the invoice you receive after the service starts.",
        },
      },
      {
        id: "invoice-timing",
        q: { ja: "請求書はいつ発行されますか？", en: "When are invoices issued?" },
        a: {
          ja: "サービスによって違いますが、初月無料のサービスを除き、おおむね利用開始月の翌月の中ごろです。",
          en: "It depends on the service; apart from services whose first month is free, usually around the middle of the month after the service starts.",
        },
      },
      {
        id: "receipt",
        q: { ja: "領収書はもらえますか？", en: "Can I get a receipt?" },
        a: {
          ja: "請求書払いでは、請求書に領収書の欄が付いています。銀行やコンビニの窓口で支払うと受領印が押され、その部分が領収書になります。口座振替では、お送りする口座振替のお知らせに領収書が含まれています。",
          en: "With invoice payment the invoice carries a receipt: once you pay at a bank or convenience store, the stamped part is your receipt. With account transfer, the account transfer notice we send includes the receipt.",
        },
      },
    ],
  },
  {
    id: "cancellation",
    title: { ja: "解約", en: "Cancellation" },
    entries: [
      {
        id: "cancel-midterm",
        q: { ja: "契約期間の途中で解約できますか？", en: "Can I cancel before the term ends?" },
        a: {
          ja: `サイトから解約できるのは一部のサービスだけで、マイページの契約詳細で解約金を確かめてから手続きします。そのほかのサービスはコンタクトセンター ${CC.ja} へお問い合わせください。`,
          en: `Only some services can be cancelled on the site: open the contract on My Page, check the fee, then cancel. For any other service, call the contact center at ${CC.en}.`,
        },
      },
      {
        id: "termination-fee",
        q: { ja: "途中解約に費用はかかりますか？", en: "Is there a fee for cancelling early?" },
        a: {
          ja: "解約金などの条件はサービスごとに違います。各サービスの詳細ページと利用規約でご確認ください。",
          en: "The fee and conditions differ by service; see each service's page and its terms of service.",
        },
      },
    ],
  },
];

export function HelpPage() {
  return (
    <article aria-labelledby="help-heading">
      <h2 id="help-heading">{t("navHelp")}</h2>
      <p>
        {loc({ ja: "コンタクトセンター：", en: "Contact center: " })}
        <a class="contact-center" href={`tel:${CONTACT_CENTER.phone}`}>
          {CONTACT_CENTER.phone}
        </a>{" "}
        <span class="contact-center-hours">({loc(CONTACT_CENTER.hours)})</span>
      </p>
      {GUIDE.map((section) => (
        <section key={section.id} aria-labelledby={`help-${section.id}`}>
          <h3 id={`help-${section.id}`}>{loc(section.title)}</h3>
          <dl class="faq">
            {section.entries.map((entry) => (
              <div key={entry.id} id={entry.id}>
                <dt>{loc(entry.q)}</dt>
                <dd>{loc(entry.a)}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </article>
  );
}
