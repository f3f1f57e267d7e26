/**
 * The message every scenario sends: a JSON object of about 200 bytes, like the message size the
 * project's performance facts use. Built before the timed part of a run.
 */
export function orderPayload(index: number): Record<string, unknown> {
  return {
    orderId: index,
    customer: `customer-${index % 977}`,
    currency: 'EUR',
    total: 1234.5,
    items: [
      { sku: 'SKU-0001', qty: 2, price: 300.25 },
      { sku: 'SKU-0002', qty: 1, price: 634 },
    ],
    note: 'deliver to the back door, ring twice',
    createdBy: 'bench',
  };
}

/** `count` payloads. */
export const orderPayloads = (count: number, offset = 0): Record<string, unknown>[] =>
  Array.from({ length: count }, (_, index) => orderPayload(offset + index));
