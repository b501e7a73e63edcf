// The contact center's phone and hours as the site shows them where no API answer carries
// them (the user guide). The services' settings start from the same words
// (libs/servicekit/src/servicekit/contact_center.py); tests/architecture/test_help_covers_the_guide.py
// keeps the two equal. The hours always name the days the center is closed (R14).
import type { Localized } from "./i18n";

export const CONTACT_CENTER: { phone: string; hours: Localized } = {
  phone: "0120-003300",
  hours: {
    ja: "9:00〜17:00、土曜・日曜・祝日・年末年始は休業",
    en: "9:00–17:00, closed on Saturdays, Sundays, national holidays and the year-end break",
  },
};

/** The contact center as one phrase: its phone with its hours in brackets. */
export const CONTACT_CENTER_TEXT: Localized = {
  ja: `${CONTACT_CENTER.phone}（${CONTACT_CENTER.hours.ja}）`,
  en: `${CONTACT_CENTER.phone} (${CONTACT_CENTER.hours.en})`,
};
