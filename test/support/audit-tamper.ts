/**
 * Tampering with the stored audit as someone with write access to the Audit table would: direct
 * PutItem / DeleteItem calls on the block items (lambdas/adapters/audit-blocks.ts), never through
 * the adapter. Works against moto_server and dynalite alike.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { blockItem, recordsOf } from '../../lambdas/adapters/audit-blocks.ts';
import { GENESIS_HASH, hashRecord } from '../../lambdas/core/audit-chain.ts';
import type { AuditRecord } from '../../lambdas/core/model.ts';

type Item = Record<string, unknown>;

export class AuditTamper {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** The stream's block items in key order. */
  async items(streamId: string): Promise<Item[]> {
    const out: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': streamId },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      out.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  async records(streamId: string): Promise<AuditRecord[]> {
    return (await this.items(streamId)).flatMap(recordsOf);
  }

  /** Replaces the whole stored stream with `records`, one item per record (the old items deleted). */
  async replace(streamId: string, records: AuditRecord[]): Promise<void> {
    await this.deleteStream(streamId);
    for (const r of records) {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: blockItem([r]) }));
    }
  }

  async deleteStream(streamId: string): Promise<void> {
    for (const item of await this.items(streamId)) {
      await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: item.pk, seq: item.seq } }));
    }
  }

  /** Edits one record in place; `rehash` recomputes its own hash, `rehashAfter` every later link too. */
  async edit(
    streamId: string,
    seq: number,
    patch: Partial<AuditRecord>,
    opts: { rehash?: boolean; rehashAfter?: boolean } = {},
  ): Promise<void> {
    const records = await this.records(streamId);
    const i = records.findIndex((r) => r.seq === seq);
    if (i < 0) throw new Error(`no record ${seq} in ${streamId}`);
    records[i] = { ...records[i]!, ...patch };
    if (opts.rehash || opts.rehashAfter) records[i]!.hash = hashRecord(records[i]!);
    if (opts.rehashAfter) relink(records, i + 1);
    await this.replace(streamId, records);
  }

  /** Deletes the records with these seqs, leaving the others as they are. */
  async delete(streamId: string, seqs: number[]): Promise<void> {
    const records = (await this.records(streamId)).filter((r) => !seqs.includes(r.seq));
    await this.replace(streamId, records);
  }

  /** Inserts a record (hashed, linked to the one before it) before the record at `beforeSeq`. */
  async insert(streamId: string, beforeSeq: number, record: Partial<AuditRecord>): Promise<void> {
    const records = await this.records(streamId);
    const i = records.findIndex((r) => r.seq === beforeSeq);
    const prev = records[i - 1];
    const forged = {
      ...records[i]!,
      ...record,
      seq: beforeSeq,
      prevHash: prev ? prev.hash : GENESIS_HASH,
    } as AuditRecord;
    forged.hash = hashRecord(forged);
    records.splice(i, 0, forged);
    // Later records keep their seqs: the stored stream now has two records at `beforeSeq`'s place.
    await this.deleteStream(streamId);
    for (const [n, r] of records.entries()) {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: { ...blockItem([r]), seq: n + 1 } }));
    }
  }

  /**
   * Writes a whole new chain in place of the stream: the same events rewritten by `edit`, each
   * record hashed and linked from the genesis hash, as another actor with table access could.
   */
  async rewrite(streamId: string, edit: (r: AuditRecord) => AuditRecord): Promise<void> {
    const records = (await this.records(streamId)).map(edit);
    relink(records, 0);
    await this.replace(streamId, records);
  }
}

/** Recomputes prevHash and hash from position `from` on. */
function relink(records: AuditRecord[], from: number): void {
  for (let j = Math.max(from, 0); j < records.length; j++) {
    const r = records[j]!;
    r.prevHash = j === 0 ? GENESIS_HASH : records[j - 1]!.hash;
    r.hash = hashRecord(r);
  }
}
