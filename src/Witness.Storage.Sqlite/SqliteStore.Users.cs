using Microsoft.Data.Sqlite;
using Witness.Access;

namespace Witness.Storage.Sqlite;

public sealed partial class SqliteStore : IUserStore
{
    public Task<bool> TryCreateUserAsync(ConsoleUser user, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                $"""
                INSERT INTO console_users ({StoreRows.UserColumns})
                VALUES ($id, $email, $name, $tenant, $role, $salt, $hash, $iterations, $created, $stamp)
                ON CONFLICT (email) DO NOTHING
                """;
            command.Parameters.AddWithValue("$id", user.Id);
            command.Parameters.AddWithValue("$email", user.Email.ToLowerInvariant());
            command.Parameters.AddWithValue("$name", (object?)user.Name ?? DBNull.Value);
            command.Parameters.AddWithValue("$tenant", (object?)user.Tenant ?? DBNull.Value);
            command.Parameters.AddWithValue("$role", user.Role);
            command.Parameters.AddWithValue("$salt", user.Password.Salt);
            command.Parameters.AddWithValue("$hash", user.Password.Hash);
            command.Parameters.AddWithValue("$iterations", user.Password.Iterations);
            command.Parameters.AddWithValue("$created", user.CreatedAt.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$stamp", user.SessionStamp);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, ct);

    public Task<IReadOnlyList<ConsoleUser>> ListUsersAsync(string? tenant, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<ConsoleUser>>(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {StoreRows.UserColumns} FROM console_users WHERE $tenant IS NULL OR tenant = $tenant ORDER BY email";
            command.Parameters.AddWithValue("$tenant", (object?)tenant ?? DBNull.Value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var users = new List<ConsoleUser>();
            while (await reader.ReadAsync(ct))
            {
                users.Add(Rows.User(reader));
            }

            return users;
        }, ct);

    public Task<bool> UpdateUserAsync(ConsoleUser user, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText =
                """
                UPDATE console_users SET name = $name, role = $role, password_salt = $salt, password_hash = $hash,
                    password_iterations = $iterations, session_stamp = $stamp
                WHERE id = $id
                """;
            command.Parameters.AddWithValue("$id", user.Id);
            command.Parameters.AddWithValue("$name", (object?)user.Name ?? DBNull.Value);
            command.Parameters.AddWithValue("$role", user.Role);
            command.Parameters.AddWithValue("$salt", user.Password.Salt);
            command.Parameters.AddWithValue("$hash", user.Password.Hash);
            command.Parameters.AddWithValue("$iterations", user.Password.Iterations);
            command.Parameters.AddWithValue("$stamp", user.SessionStamp);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, ct);

    public Task<bool> DeleteUserAsync(string id, CancellationToken ct) =>
        WriteAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "DELETE FROM console_users WHERE id = $id";
            command.Parameters.AddWithValue("$id", id);
            return await command.ExecuteNonQueryAsync(ct) == 1;
        }, ct);

    public Task<ConsoleUser?> FindUserByEmailAsync(string email, CancellationToken ct) =>
        FindUserWhereAsync("email = $value", email.Trim().ToLowerInvariant(), ct);

    public Task<ConsoleUser?> FindUserAsync(string id, CancellationToken ct) => FindUserWhereAsync("id = $value", id, ct);

    public Task<long> CountUsersAsync(CancellationToken ct) =>
        ReadAsync(async connection => (long)(await ScalarAsync(connection, "SELECT COUNT(*) FROM console_users", ct))!, ct);

    private Task<ConsoleUser?> FindUserWhereAsync(string condition, string value, CancellationToken ct) =>
        ReadAsync(async connection =>
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {StoreRows.UserColumns} FROM console_users WHERE {condition}";
            command.Parameters.AddWithValue("$value", value);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? Rows.User(reader) : null;
        }, ct);
}
