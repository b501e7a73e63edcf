// Every label of the site in Japanese (the default) and English. The chosen language
// is a preference, not a secret, so it is remembered in localStorage; tokens never are.

export type Lang = "ja" | "en";
export type Localized = { ja: string; en: string };

const STORAGE_KEY = "bizmall.lang";

let current: Lang = localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "ja";

export function lang(): Lang {
  return current;
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}

/** The text of an API field given in both languages. */
export function loc(text: Localized | undefined | null): string {
  return text ? text[current] : "";
}

const messages = {
  siteName: ["bizmall 法人向けICTサービス", "bizmall business ICT services"],
  skipToContent: ["本文へ移動", "Skip to content"],
  language: ["言語", "Language"],
  switchLang: ["English", "日本語"],
  navHome: ["トップ", "Home"],
  navHelp: ["ご利用ガイド", "User guide"],
  navPrivacy: ["プライバシーポリシー", "Privacy policy"],
  navLogin: ["ログイン", "Log in"],
  navRegister: ["会員登録", "Register"],
  navLogout: ["ログアウト", "Log out"],
  navMyPage: ["マイページ", "My Page"],
  navOps: ["運用コンソール", "Ops console"],
  loading: ["読み込み中…", "Loading…"],
  notices: ["お知らせ", "Notices"],
  noNotices: ["現在お知らせはありません。", "No notices at the moment."],
  maintenance: ["メンテナンス", "Maintenance"],
  emergencyMaintenance: ["緊急メンテナンス", "Emergency maintenance"],
  information: ["お知らせ", "Information"],
  inProgress: ["実施中", "In progress"],
  period: ["期間", "Period"],
  affected: ["対象機能", "Affected"],
  lineup: ["サービス一覧", "Services"],
  monthlyFrom: ["月額", "Monthly from"],
  yen: ["円", " yen"],
  fromSuffix: ["〜", "+"],
  corporationsOnly: ["法人のお客さま専用", "Corporations only"],
  details: ["詳細を見る", "Details"],
  plans: ["料金プラン", "Plans"],
  plan: ["プラン", "Plan"],
  monthlyFee: ["月額料金", "Monthly fee"],
  initialFee: ["初期費用", "Initial fee"],
  rules: ["ご契約条件", "Terms"],
  orderUnit: ["申込単位", "Order unit"],
  maxQuantity: ["1回の申込上限", "Maximum per order"],
  leadTime: ["最短開始日", "Earliest start"],
  leadTimeValue: ["申込から{n}営業日後", "{n} business days after ordering"],
  minimumTerm: ["最低利用期間", "Minimum term"],
  months: ["{n}か月", "{n} months"],
  none: ["なし", "None"],
  earlyTermination: ["解約金", "Early termination fee"],
  etRemaining: ["残り期間の月額料金", "Monthly fee for the remaining months"],
  etFixed: ["{n}円", "{n} yen"],
  cancellableOnSite: ["サイトから解約", "Cancel on the site"],
  cancellableYes: ["できます", "Available"],
  cancellableNo: ["コンタクトセンターへご連絡ください", "Call the contact centre"],
  accountTransfer: ["口座振替", "Account transfer"],
  available: ["利用できます", "Available"],
  unavailable: ["利用できません", "Not available"],
  freeFirstMonth: ["初月無料", "First month free"],
  phoneOrders: ["電話での申込", "Orders by phone"],
  orderThis: ["申し込む", "Order"],
  loginToOrder: ["申し込むにはログインしてください。", "Please log in to order."],
  // registration
  registerTitle: ["会員登録", "Registration"],
  entityType: ["契約者区分", "Customer type"],
  corporation: ["法人", "Corporation"],
  soleProprietor: ["個人事業主", "Sole proprietor"],
  email: ["メールアドレス", "Email address"],
  password: ["パスワード", "Password"],
  passwordHint: ["12文字以上", "At least 12 characters"],
  name: ["担当者氏名", "Contact name"],
  organizationName: ["法人名・屋号", "Company or trade name"],
  corporateNumber: ["法人番号（13桁）", "Corporate number (13 digits)"],
  cnOk: ["法人番号の形式は正しいです。", "The corporate number is well formed."],
  cnLength: ["13桁の数字で入力してください。", "Enter 13 digits."],
  cnCheck: ["チェックディジットが一致しません。", "The check digit does not match."],
  postalCode: ["郵便番号", "Postal code"],
  address: ["住所", "Address"],
  phone: ["電話番号", "Phone"],
  acceptPrivacy: ["プライバシーポリシーに同意する", "I accept the privacy policy"],
  submitRegister: ["登録する", "Register"],
  registered: [
    "確認メールを送信しました。メール内のリンクを開いて登録を完了してください。",
    "We have sent you an email. Open its link to complete your registration.",
  ],
  verifyTitle: ["メールアドレスの確認", "Email verification"],
  verifying: ["確認しています…", "Verifying…"],
  verified: ["メールアドレスを確認しました。ログインできます。", "Your email is verified. You can log in now."],
  noToken: ["リンクにトークンがありません。", "The link has no token."],
  // login
  loginTitle: ["ログイン", "Log in"],
  loginId: ["ログインID（メールアドレス）", "Login ID (email)"],
  submitLogin: ["ログイン", "Log in"],
  totpTitle: ["確認コード", "Verification code"],
  totpCode: ["認証アプリの6桁のコード", "6-digit code from your authenticator"],
  totpEnroll: [
    "認証アプリに次のシークレットを登録してください：",
    "Add this secret to your authenticator app:",
  ],
  submitTotp: ["確認", "Verify"],
  forgotPassword: ["パスワードをお忘れの方", "Forgot your password?"],
  resetTitle: ["パスワードの再設定", "Password reset"],
  resetSent: [
    "登録があれば再設定用のメールを送信しました。",
    "If the address is registered, we have sent a reset link.",
  ],
  resetSubmit: ["再設定メールを送る", "Send reset link"],
  newPassword: ["新しいパスワード", "New password"],
  resetDone: ["パスワードを再設定しました。ログインしてください。", "Your password is reset. Please log in."],
  save: ["保存", "Save"],
  // ordering
  orderTitle: ["お申し込み", "Order"],
  quantity: ["数量", "Quantity"],
  quantityRule: [
    "{unit}単位、1回の申込は{max}まで",
    "In steps of {unit}, at most {max} per order",
  ],
  startDate: ["利用開始希望日", "Desired start date"],
  earliest: ["最短", "Earliest"],
  earliestIs: ["最短の開始日：{d}", "Earliest start date: {d}"],
  chosenDate: ["選択した日：{d}", "Chosen date: {d}"],
  noDateChosen: ["開始日を選択してください。", "Choose a start date."],
  prevMonth: ["前の月", "Previous month"],
  nextMonth: ["次の月", "Next month"],
  weekdays: ["日,月,火,水,木,金,土", "Sun,Mon,Tue,Wed,Thu,Fri,Sat"],
  options: ["申込内容", "Order details"],
  required: ["必須", "required"],
  yes: ["はい", "Yes"],
  confirmStep: ["確認へ進む", "Review"],
  confirmTitle: ["申込内容の確認", "Review your order"],
  back: ["戻る", "Back"],
  placeOrder: ["申し込む", "Place order"],
  orderPlaced: ["お申し込みを受け付けました。", "Your order has been received."],
  // my page
  myPageTitle: ["マイページ", "My Page"],
  profile: ["登録情報", "Profile"],
  orders: ["購入履歴", "Purchase history"],
  noOrders: ["お申し込みはありません。", "No orders yet."],
  orderDetail: ["申込詳細", "Order detail"],
  orderedAt: ["申込日時", "Ordered at"],
  status: ["状態", "Status"],
  service: ["サービス", "Service"],
  plannedStart: ["開始予定日", "Planned start"],
  statusHistory: ["状態の履歴", "Status history"],
  reference: ["お問い合わせ番号", "Inquiry reference"],
  contracts: ["ご契約中のサービス", "Contracts"],
  noContracts: ["ご契約はありません。", "No contracts."],
  startedOn: ["開始日", "Start date"],
  endDate: ["終了日", "End date"],
  invoices: ["請求書", "Invoices"],
  noInvoices: ["請求書はありません。", "No invoices."],
  invoiceNumber: ["請求書番号", "Invoice number"],
  usagePeriod: ["利用期間", "Usage period"],
  dueDate: ["支払期限", "Due date"],
  total: ["請求金額", "Total"],
  downloadPdf: ["PDFをダウンロード", "Download PDF"],
  inquiryTitle: ["お問い合わせ", "Inquiry"],
  inquiryOrder: ["対象の申込", "Order"],
  subject: ["件名", "Subject"],
  body: ["内容", "Message"],
  send: ["送信", "Send"],
  inquirySent: ["お問い合わせを受け付けました。", "Your inquiry has been received."],
  emailConfirmTitle: ["メールアドレス変更の確認", "Confirm your new email"],
  emailConfirmed: ["連絡先メールアドレスを変更しました。", "Your contact email has been changed."],
  // ops
  opsTitle: ["運用コンソール", "Ops console"],
  opsOnly: ["運用担当者のみ利用できます。", "For operators only."],
  opsOrders: ["注文の進行", "Order progression"],
  filterStatus: ["状態で絞り込み", "Filter by status"],
  all: ["すべて", "All"],
  member: ["会員", "Member"],
  accept: ["受付", "Accept"],
  startProvisioning: ["開通作業開始", "Start provisioning"],
  activate: ["開通", "Activate"],
  activationDate: ["開通日", "Activation date"],
  billingRun: ["請求処理", "Billing run"],
  usageMonth: ["利用月", "Usage month"],
  run: ["実行", "Run"],
  runDone: ["{n}件の請求書を発行しました。", "{n} invoices issued."],
  notFound: ["ページが見つかりません。", "Page not found."],
  needLogin: ["ログインしてください。", "Please log in."],
  errorGeneric: ["エラーが発生しました。", "Something went wrong."],
} satisfies Record<string, [string, string]>;

export type MessageKey = keyof typeof messages;

/** The label ``key`` in the current language, with ``{name}`` placeholders filled. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  const text = messages[key][current === "ja" ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ""));
}

const STATUS: Record<string, [string, string]> = {
  awaiting_documents: ["書類確認待ち", "Awaiting documents"],
  received: ["受付済み", "Received"],
  accepted: ["受付完了", "Accepted"],
  on_hold: ["保留中", "On hold"],
  provisioning: ["開通作業中", "Provisioning"],
  active: ["利用中", "Active"],
  rejected: ["お断り", "Rejected"],
  cancellation_scheduled: ["解約予定", "Cancellation scheduled"],
  ended: ["終了", "Ended"],
  issued: ["発行済み", "Issued"],
  paid: ["支払済み", "Paid"],
  overdue: ["支払遅延", "Overdue"],
  void: ["無効", "Void"],
};

/** A status code of an order, contract or invoice as words. */
export function statusLabel(code: string): string {
  const text = STATUS[code];
  return text ? text[current === "ja" ? 0 : 1] : code;
}

/** A whole number of yen, grouped (¥ is not used: "円" reads better in Japanese). */
export function yen(amount: number): string {
  const grouped = amount.toLocaleString(current === "ja" ? "ja-JP" : "en-US");
  return current === "ja" ? `${grouped}円` : `${grouped} yen`;
}

/** A UTC timestamp shown in Japan time. */
export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(current === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo",
  });
}
