import { AuditCheckpointer } from '../../src/use-cases/audit-checkpointer';

describe('AuditCheckpointer', () => {
  it('signs each noted tenant once per flush and keeps failed ones pending', async () => {
    const signed: string[] = [];
    let failFor = 't2';
    const checkpointer = new AuditCheckpointer({
      sign: {
        execute: async (tenantId: string) => {
          if (tenantId === failFor) throw new Error('kms unavailable');
          signed.push(tenantId);
          return undefined;
        },
      },
    });
    checkpointer.noteAppended('t1');
    checkpointer.noteAppended('t1');
    checkpointer.noteAppended('t2');
    await checkpointer.flush();
    expect(signed).toEqual(['t1']);
    expect(checkpointer.pendingTenants()).toEqual(['t2']);
    failFor = '';
    await checkpointer.flush();
    expect(signed).toEqual(['t1', 't2']);
    expect(checkpointer.pendingTenants()).toEqual([]);
  });

  it('flushes on its own once a tenant reaches maxUnsigned appends', async () => {
    const signed: string[] = [];
    const checkpointer = new AuditCheckpointer({ sign: { execute: async (t: string) => void signed.push(t) }, maxUnsigned: 2 });
    checkpointer.noteAppended('t1');
    expect(signed).toEqual([]);
    checkpointer.noteAppended('t1');
    await checkpointer.flush();
    expect(signed).toEqual(['t1']);
  });
});
