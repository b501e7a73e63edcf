// The check digit of a Japanese corporate number (法人番号): 13 digits whose first
// is 9 - (Σ digit × weight mod 9) over the other twelve, weights 1, 2, 1, 2 …
// counted from the rightmost digit (National Tax Agency specification).

export type CorporateNumberCheck = "ok" | "length" | "check";

export function checkCorporateNumber(value: string): CorporateNumberCheck {
  if (!/^\d{13}$/.test(value)) return "length";
  const base = value.slice(1);
  let total = 0;
  for (let i = 0; i < 12; i += 1) {
    total += Number(base[11 - i]) * (i % 2 === 0 ? 1 : 2);
  }
  return String(9 - (total % 9)) === value[0] ? "ok" : "check";
}
