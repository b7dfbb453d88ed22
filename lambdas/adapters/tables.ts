/**
 * DynamoDB table layouts, shared by the adapters, the local runtime's dynalite bootstrap, the tests
 * and the CDK stack, so the key schema is written once.
 *
 * Offboardings (single table):
 *   pk = `OFF#<id>`, sk = `META`            the offboarding
 *   pk = `OFF#<id>`, sk = `ACT#<grantKey>`  one action result (the worker's memory across redeliveries)
 *   pk = `SRC#<origin>#<eventId>`, sk = `SRC` the intake dedupe marker -> offboarding id
 *   pk = `FLAG#kill-switch`, sk = `FLAG`    the kill switch
 *   pk = `ALIAS#<alias>`, sk = `OFF#<id>`   an offboarding whose subject has that alias
 *   pk = `SET#<key>`, sk = `SET`            a bounded set (blast-radius counters per window)
 *   pk = `CURSOR#<name>`, sk = `CURSOR`     a named position (the reconciliation's rotation)
 *   pk = `LOCK#<name>`, sk = `LOCK`         a single-writer lease (dynamo-lock-store.ts)
 *   pk = `LOCK#<name>`, sk = `REQ#<at>#<id>` work posted for that lease's holder, and its answer
 * Audit (append only):
 *   pk = streamId (offboarding id or `global`), sk = seq (number)
 */

export const OFFBOARDINGS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    /** Offboardings of one email, newest last: gsi1pk = `EMAIL#<email>`, gsi1sk = `<receivedAt>#<id>`. */
    byEmail: { name: 'byEmail', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    /** By status and due time: gsi2pk = `STATUS#<status>`, gsi2sk = `<effectiveAt>#<id>`. */
    byStatusDue: { name: 'byStatusDue', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    /** By source event: gsi3pk = `SRC#<origin>#<eventId>`. */
    bySourceEvent: { name: 'bySourceEvent', partitionKey: 'gsi3pk', sortKey: undefined },
  },
} as const;

export const AUDIT = {
  partitionKey: 'pk',
  sortKey: 'seq',
  indexes: {
    /** Records of one subject over time: email, at. */
    byEmail: { name: 'byEmail', partitionKey: 'email', sortKey: 'atKey' },
    /** Records of one UTC day: day = `YYYY-MM-DD`, atKey = `<at>#<pk>#<seq>`. */
    byDay: { name: 'byDay', partitionKey: 'day', sortKey: 'atKey' },
  },
} as const;

/**
 * Inventory (who holds what; rebuilt by the inventory sync, so never the only copy of anything):
 *   pk = `P#<email>`, sk = `G#<grantKey>`     a grant that address holds (scopeKey = `<tenantId>#<scope>`)
 *   pk = `T#<tenantId>`, sk = `S#<scope>`     when a scope was last listed
 *   pk = `TENANTS`, sk = `<tenantId>`         a tenant's sync state (cursor, lease, last complete pass)
 */
export const INVENTORY = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: {
    /** The grants of one scope: scopeKey = `<tenantId>#<scope>`, sk as in the table. */
    byScope: { name: 'byScope', partitionKey: 'scopeKey', sortKey: 'sk' },
  },
} as const;
