using System.Text;

namespace Witness.Storage;

/// <summary>The byte columns of a stored row that <see cref="LogRowBlock"/> keeps.</summary>
public enum LogColumn
{
    Id,
    Body,
    Hash,
    Type,
    Action,
    Category,
    Outcome,
    ActorId,
    ActorEmail,
    Ip,
    SearchText,

    /// <summary>The digest of what the client sent (<c>content_digest</c>).</summary>
    ContentDigest,

    /// <summary>The personal record of leaf version 2 (<c>personal</c>, <see cref="Events.PersonalValues"/>); NULL: the leaf is the body.</summary>
    Personal,

    /// <summary>A split row's personal free text, kept beside it (<see cref="StoredRow.PersonalText"/>); <see cref="SearchText"/> is then its public text. NULL for other rows.</summary>
    PersonalText,
}

/// <summary>
/// Consecutive rows of a tenant's log as the store holds them, their columns as bytes (text as UTF-8,
/// NULL told apart from empty), for verification's pass over millions of rows: a store fills a block
/// without a string or an array per row, and the verifier reuses a few blocks from start to end.
/// <see cref="ToStoredRow"/> gives a row in its ordinary form when a row needs a closer look.
/// </summary>
public sealed class LogRowBlock(int capacity)
{
    private const int Columns = 14;
    private const int Null = -1;

    private readonly long[] _position = new long[capacity];
    private readonly long[] _seqColumn = new long[capacity];
    private readonly long[] _occurredAt = new long[capacity];
    private readonly long[] _receivedAt = new long[capacity];
    private readonly bool[] _tenantMatches = new bool[capacity];
    private readonly int[] _omitted = new int[capacity];
    private readonly bool[] _idIndexed = new bool[capacity];
    private readonly int[] _start = new int[capacity * Columns];
    private readonly int[] _length = new int[capacity * Columns];
    private byte[] _data = new byte[capacity * 1024];
    private int _used;

    public int Capacity => capacity;

    public int Count { get; private set; }

    public bool IsFull => Count == capacity;

    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    /// <summary>Starts the next row; its byte columns are NULL until <see cref="Set(LogColumn, ReadOnlySpan{byte})"/> gives them.</summary>
    /// <param name="position">The row's place in the log (its seq as the store orders the log).</param>
    /// <param name="seqColumn">The seq column as stored, where a store keeps it apart from the position.</param>
    /// <param name="tenantMatches">Whether the row's tenant column names the tenant being read.</param>
    /// <param name="occurredAtMicros">The occurred_at column.</param>
    /// <param name="receivedAtMicros">The received_at column.</param>
    public void Add(long position, long seqColumn, bool tenantMatches, long occurredAtMicros, long receivedAtMicros)
    {
        if (IsFull)
        {
            throw new InvalidOperationException($"the block holds {capacity} rows already");
        }

        var row = Count++;
        _position[row] = position;
        _seqColumn[row] = seqColumn;
        _tenantMatches[row] = tenantMatches;
        _occurredAt[row] = occurredAtMicros;
        _receivedAt[row] = receivedAtMicros;
        _omitted[row] = Null;
        _idIndexed[row] = true;
        _length.AsSpan(row * Columns, Columns).Fill(Null);
    }

    /// <summary>Sets the row's <c>client_omitted</c> column (<see cref="Events.ClientOmitted"/>); NULL until set.</summary>
    public void SetClientOmitted(int flags) => _omitted[Count - 1] = flags;

    /// <summary>Marks the row last added as missing from the store's separate id index, or indexed under another id (PostgreSQL's <c>event_ids</c>).</summary>
    public void SetNotIdIndexed() => _idIndexed[Count - 1] = false;

    /// <summary>Sets a byte column of the row last added.</summary>
    public void Set(LogColumn column, ReadOnlySpan<byte> value) => value.CopyTo(Reserve(column, value.Length));

    /// <summary>Sets a text column of the row last added, as UTF-8 (null stays NULL).</summary>
    public void Set(LogColumn column, string? value)
    {
        if (value is not null)
        {
            Encoding.UTF8.GetBytes(value, Reserve(column, Encoding.UTF8.GetByteCount(value)));
        }
    }

    /// <summary>Room for <paramref name="size"/> bytes of the column in the row last added.</summary>
    private Span<byte> Reserve(LogColumn column, int size)
    {
        if (_used + size > _data.Length)
        {
            Array.Resize(ref _data, Math.Max(_data.Length * 2, _used + size));
        }

        var cell = ((Count - 1) * Columns) + (int)column;
        _start[cell] = _used;
        _length[cell] = size;
        _used += size;
        return _data.AsSpan(_used - size, size);
    }

    public long Position(int row) => _position[row];

    public long SeqColumn(int row) => _seqColumn[row];

    public bool TenantMatches(int row) => _tenantMatches[row];

    /// <summary>The row's <c>client_omitted</c> flags, or null when the column is NULL (rows stored before it existed).</summary>
    public Events.ClientOmitted? ClientOmitted(int row) => _omitted[row] == Null ? null : (Events.ClientOmitted)_omitted[row];

    /// <summary>False when the store keeps a separate id index and it lacks the row, or names another id for its seq.</summary>
    public bool IdIndexed(int row) => _idIndexed[row];

    public long OccurredAtMicros(int row) => _occurredAt[row];

    public long ReceivedAtMicros(int row) => _receivedAt[row];

    public bool IsNull(int row, LogColumn column) => _length[(row * Columns) + (int)column] == Null;

    /// <summary>The column's bytes (empty when NULL: ask <see cref="IsNull"/> to tell them apart).</summary>
    public ReadOnlySpan<byte> Cell(int row, LogColumn column)
    {
        var cell = (row * Columns) + (int)column;
        return _length[cell] == Null ? default : _data.AsSpan(_start[cell], _length[cell]);
    }

    /// <summary>The row in the form <see cref="IWitnessStore.ReadLogAsync"/> gives it.</summary>
    public StoredRow ToStoredRow(int row)
    {
        var keys = new EventIndexKeys(
            _occurredAt[row], _receivedAt[row], Text(row, LogColumn.Type) ?? "", Text(row, LogColumn.Action) ?? "",
            Text(row, LogColumn.Category), Text(row, LogColumn.Outcome) ?? "", Text(row, LogColumn.ActorId), Text(row, LogColumn.ActorEmail),
            IsNull(row, LogColumn.Ip) ? null : Cell(row, LogColumn.Ip).ToArray(), Text(row, LogColumn.SearchText) ?? "", []);
        return new StoredRow(_position[row], Text(row, LogColumn.Id) ?? "", Cell(row, LogColumn.Body).ToArray(), Cell(row, LogColumn.Hash).ToArray(), keys)
        {
            SeqColumn = _seqColumn[row],
            TenantColumnMatches = _tenantMatches[row],
            ContentDigest = IsNull(row, LogColumn.ContentDigest) ? null : Cell(row, LogColumn.ContentDigest).ToArray(),
            ClientOmitted = ClientOmitted(row),
            IdIndexed = _idIndexed[row],
            Personal = IsNull(row, LogColumn.Personal) ? null : Cell(row, LogColumn.Personal).ToArray(),
            PersonalText = Text(row, LogColumn.PersonalText),
        };
    }

    /// <summary>Adds a row given in its ordinary form (for stores that read rows as <see cref="StoredRow"/>).</summary>
    public void Add(StoredRow row)
    {
        Add(row.Seq, row.SeqColumn, row.TenantColumnMatches, row.Keys.OccurredAtMicros, row.Keys.ReceivedAtMicros);
        Set(LogColumn.Id, row.Id);
        Set(LogColumn.Body, row.Body);
        Set(LogColumn.Hash, row.Hash);
        Set(LogColumn.Type, row.Keys.Type);
        Set(LogColumn.Action, row.Keys.Action);
        Set(LogColumn.Category, row.Keys.Category);
        Set(LogColumn.Outcome, row.Keys.Outcome);
        Set(LogColumn.ActorId, row.Keys.ActorId);
        Set(LogColumn.ActorEmail, row.Keys.ActorEmail);
        if (row.Keys.Ip is { } ip)
        {
            Set(LogColumn.Ip, ip);
        }

        Set(LogColumn.SearchText, row.Keys.SearchText);
        if (row.ContentDigest is { } digest)
        {
            Set(LogColumn.ContentDigest, digest);
        }

        if (row.ClientOmitted is { } omitted)
        {
            SetClientOmitted((int)omitted);
        }

        if (!row.IdIndexed)
        {
            SetNotIdIndexed();
        }

        if (row.Personal is { } personal)
        {
            Set(LogColumn.Personal, personal);
        }

        Set(LogColumn.PersonalText, row.PersonalText);
    }

    private string? Text(int row, LogColumn column) => IsNull(row, column) ? null : Encoding.UTF8.GetString(Cell(row, column));
}

/// <summary>Reads a tenant's log rows into blocks, in log order.</summary>
public interface ILogRowReader : IAsyncDisposable
{
    /// <summary>Clears the block and fills it with the next rows (up to its capacity); false when no row was left.</summary>
    ValueTask<bool> FillAsync(LogRowBlock block, CancellationToken ct);
}

/// <summary>An <see cref="ILogRowReader"/> over <see cref="IWitnessStore.ReadLogAsync"/>, for stores without a faster way.</summary>
public sealed class StoredRowReader(IAsyncEnumerable<StoredRow> rows, CancellationToken ct) : ILogRowReader
{
    private readonly IAsyncEnumerator<StoredRow> _rows = rows.GetAsyncEnumerator(ct);

    public async ValueTask<bool> FillAsync(LogRowBlock block, CancellationToken ct)
    {
        block.Clear();
        while (!block.IsFull && await _rows.MoveNextAsync())
        {
            block.Add(_rows.Current);
        }

        return block.Count > 0;
    }

    public ValueTask DisposeAsync() => _rows.DisposeAsync();
}
