using Witness.Access;

namespace Witness.Storage;

/// <summary>
/// The console's local accounts. Emails are compared lower-case and are unique across the server.
/// All methods are safe to call concurrently.
/// </summary>
public interface IUserStore
{
    /// <summary>Adds the user; false, storing nothing, when a user with the same email exists.</summary>
    Task<bool> TryCreateUserAsync(ConsoleUser user, CancellationToken ct);

    /// <summary>The user with this email (any case), or null.</summary>
    Task<ConsoleUser?> FindUserByEmailAsync(string email, CancellationToken ct);

    Task<ConsoleUser?> FindUserAsync(string id, CancellationToken ct);

    /// <summary>How many users exist, so that <c>serve</c> can say how to create the first one.</summary>
    Task<long> CountUsersAsync(CancellationToken ct);

    /// <summary>The users of <paramref name="tenant"/>, or every user (platform administrators included) when null; by email.</summary>
    Task<IReadOnlyList<ConsoleUser>> ListUsersAsync(string? tenant, CancellationToken ct);

    /// <summary>Writes the user's name, role, password and session stamp (matched by id); false when no such user exists.</summary>
    Task<bool> UpdateUserAsync(ConsoleUser user, CancellationToken ct);

    /// <summary>Removes the user; false when no such user exists. Their sessions end with the next request.</summary>
    Task<bool> DeleteUserAsync(string id, CancellationToken ct);
}
