using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore
{
    private readonly ConcurrentDictionary<DateOnly, bool> _months = new();

    private static DateOnly MonthOf(DateTimeOffset time) => new(time.UtcDateTime.Year, time.UtcDateTime.Month, 1);

    /// <summary>
    /// Makes sure the month partitions holding <paramref name="month"/> exist. Known months are
    /// remembered, so an append pays for this once a month per instance.
    /// </summary>
    private async Task EnsurePartitionAsync(DateOnly month, CancellationToken ct)
    {
        if (_months.ContainsKey(month))
        {
            return;
        }

        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("SELECT witness_create_event_partitions($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = month, NpgsqlDbType = NpgsqlDbType.Date });
        await command.ExecuteNonQueryAsync(ct);
        _months[month] = true;
    }
}
