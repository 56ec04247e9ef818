using Witness.Privacy;

namespace Witness.Storage;

/// <summary>
/// Erasure of personal values (docs/erasure.md) on a store. Each call is one transaction: every
/// matching event of leaf version 2 gets its body rewritten by <see cref="PersonalErasure"/> (values
/// read <c>[erased]</c>, salts replaced by the commitments), with its index columns, content digest
/// and email index rows; the leaf, and so every hash, proof and checkpoint, stays as it was. The
/// store then makes the old bytes unreadable as far as it can (SQLite: secure_delete and a WAL
/// checkpoint; PostgreSQL: the old row versions wait for VACUUM).
/// </summary>
public interface IPersonalDataStore
{
    /// <summary>Erases the personal values of every event of <paramref name="subject"/> in the tenant.</summary>
    Task<ErasureCount> EraseSubjectAsync(string tenant, ErasureSubject subject, CancellationToken ct);

    /// <summary>Erases the personal values of every event received before <paramref name="receivedBefore"/> (personal_data_days).</summary>
    Task<ErasureCount> EraseReceivedBeforeAsync(string tenant, DateTimeOffset receivedBefore, CancellationToken ct);
}
