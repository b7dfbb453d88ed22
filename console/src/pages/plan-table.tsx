/** A plan (preview or dry run): every grant a run would revoke or skip, by vendor and tenant. */
import { OutcomeBadge } from '../components/badges.tsx';
import { TableScroll } from '../components/common.tsx';
import { kindLabel, SKIP_LABELS, VENDOR_LABELS } from '../format.ts';
import type { PlanView } from '../types.ts';

export function PlanTable({ plan, title }: { plan: PlanView; title: string }) {
  return (
    <section aria-labelledby="plan-title" class="plan">
      <h2 id="plan-title">{title}</h2>
      <p role="status">
        {plan.counts.revoke} grant{plan.counts.revoke === 1 ? '' : 's'} would be revoked, {plan.counts.skip}{' '}
        skipped, for {plan.emails.join(', ')}. Nothing was changed.
      </p>
      {plan.failures.length > 0 && (
        <p class="warning" role="alert">
          These tenants could not be searched, so the plan is incomplete for them:{' '}
          {plan.failures.map((f) => `${VENDOR_LABELS[f.vendor]} ${f.tenantId} (${f.errorCode})`).join('; ')}.
        </p>
      )}
      {plan.items.length === 0 ? (
        <p>No grant found at any configured vendor.</p>
      ) : (
        <TableScroll label={title}>
          <table>
            <thead>
              <tr>
                <th scope="col">Vendor</th>
                <th scope="col">Tenant</th>
                <th scope="col">Grant</th>
                <th scope="col">Phase</th>
                <th scope="col">Would</th>
                <th scope="col">Why skipped</th>
              </tr>
            </thead>
            <tbody>
              {plan.items.map((i) => (
                <tr key={i.grantKey}>
                  <td>{VENDOR_LABELS[i.vendor]}</td>
                  <td>{i.tenantId}</td>
                  <td>
                    {kindLabel(i.kind)}
                    {i.scopeName && <div class="sub">{i.scopeName}</div>}
                  </td>
                  <td>{i.phase}</td>
                  <td>
                    <OutcomeBadge outcome={i.action} />
                  </td>
                  <td>{i.skipReason ? (SKIP_LABELS[i.skipReason] ?? i.skipReason) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
