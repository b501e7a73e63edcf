// Consumption tax as billing computes it (services/billing/src/billing/domain/
// invoice_totals.py, R25): 10% of an invoice's taxable subtotal, computed once per
// invoice and rounded down to the yen. The order review shows the same figures.

/** The standard consumption tax rate, in percent (billing's TAX_RATE_PERCENT). */
export const TAX_RATE_PERCENT = 10;

/** The tax on a taxable subtotal of whole yen, rounded down (billing's ``consumption_tax``). */
export function consumptionTax(taxableSubtotal: number): number {
  return Math.floor((taxableSubtotal * TAX_RATE_PERCENT) / 100);
}
