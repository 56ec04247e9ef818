using Npgsql;
using NpgsqlTypes;
using Witness.Access;

namespace Witness.Storage.Postgres;

public sealed partial class PostgresStore : IUserStore
{
    public async Task<bool> TryCreateUserAsync(ConsoleUser user, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO console_users ({StoreRows.UserColumns})
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (email) DO NOTHING
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = user.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Email.ToLowerInvariant() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)user.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)user.Tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Password.Salt });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Password.Hash });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Password.Iterations });
        command.Parameters.Add(new NpgsqlParameter { Value = user.CreatedAt.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = user.SessionStamp });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<ConsoleUser>> ListUsersAsync(string? tenant, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT {StoreRows.UserColumns} FROM console_users WHERE $1::text IS NULL OR tenant = $1 ORDER BY email", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var users = new List<ConsoleUser>();
        while (await reader.ReadAsync(ct))
        {
            users.Add(Rows.User(reader));
        }

        return users;
    }

    public async Task<bool> UpdateUserAsync(ConsoleUser user, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            """
            UPDATE console_users SET name = $2, role = $3, password_salt = $4, password_hash = $5, password_iterations = $6, session_stamp = $7
            WHERE id = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = user.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)user.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Password.Salt });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Password.Hash });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Password.Iterations });
        command.Parameters.Add(new NpgsqlParameter { Value = user.SessionStamp });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> DeleteUserAsync(string id, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("DELETE FROM console_users WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    public Task<ConsoleUser?> FindUserByEmailAsync(string email, CancellationToken ct) =>
        FindUserWhereAsync("email = $1", email.Trim().ToLowerInvariant(), ct);

    public Task<ConsoleUser?> FindUserAsync(string id, CancellationToken ct) => FindUserWhereAsync("id = $1", id, ct);

    public async Task<long> CountUsersAsync(CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        return (long)(await ScalarAsync(connection, "SELECT count(*) FROM console_users", ct))!;
    }

    private async Task<ConsoleUser?> FindUserWhereAsync(string condition, string value, CancellationToken ct)
    {
        await using var connection = await Data.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT {StoreRows.UserColumns} FROM console_users WHERE {condition}", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Rows.User(reader) : null;
    }
}
