using System.Security.Cryptography;
using Witness.Events;

namespace Witness.Access;

/// <summary>
/// A local account of the web console. <see cref="Tenant"/> is the one tenant the user sees, or null
/// for a platform administrator, who may switch between all tenants. <see cref="Email"/> is stored
/// lower-case and is unique across the server; only the password's PBKDF2 hash is kept.
/// </summary>
public sealed record ConsoleUser(
    string Id,
    string Email,
    string? Name,
    string? Tenant,
    string Role,
    PasswordHash Password,
    DateTimeOffset CreatedAt)
{
    public bool IsPlatformAdministrator => Tenant is null;

    /// <summary>
    /// Carried by every session cookie and compared with the stored user on each request: signing out
    /// or setting a new password replaces it (<see cref="NewSessionStamp"/>), which ends every session
    /// of the user on every instance. Empty for users stored before stamps existed.
    /// </summary>
    public string SessionStamp { get; init; } = "";

    /// <summary>A fresh random <see cref="SessionStamp"/>.</summary>
    public static string NewSessionStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The name shown in the console and recorded as the actor's name: the name, else the email.</summary>
    public string DisplayName => string.IsNullOrWhiteSpace(Name) ? Email : Name;

    /// <summary>The user with <paramref name="password"/> hashed and a new session stamp, which ends every session they had.</summary>
    /// <exception cref="ArgumentException">The password is too short.</exception>
    public ConsoleUser WithPassword(string password)
    {
        if (password is null || password.Length < PasswordHash.MinimumPasswordLength)
        {
            throw new ArgumentException($"the password must be at least {PasswordHash.MinimumPasswordLength} characters", nameof(password));
        }

        return this with { Password = PasswordHash.Create(password), SessionStamp = NewSessionStamp() };
    }

    /// <summary>The user with the role <paramref name="role"/> (any case); it applies from their next request.</summary>
    /// <exception cref="ArgumentException">The role is unknown, or a platform administrator would lose the Administrator role.</exception>
    public ConsoleUser WithRole(string role)
    {
        var canonicalRole = ConsoleRoles.Parse(role)
            ?? throw new ArgumentException($"unknown role '{role}'; roles are {string.Join(", ", ConsoleRoles.All)}", nameof(role));
        if (Tenant is null && canonicalRole != ConsoleRoles.Administrator)
        {
            throw new ArgumentException("a platform user (no tenant) must be an Administrator", nameof(role));
        }

        return this with { Role = canonicalRole };
    }

    /// <summary>
    /// A new user with a fresh id and the password hashed. <paramref name="tenant"/> null makes a
    /// platform administrator, which must have the Administrator role.
    /// </summary>
    /// <exception cref="ArgumentException">The email, password, role or tenant is not acceptable; the message says which and why.</exception>
    public static ConsoleUser Create(string email, string password, string role, string? tenant, string? name, DateTimeOffset now)
    {
        email = email?.Trim() ?? "";
        if (email.Length is < 3 or > 254 || email.IndexOf('@', StringComparison.Ordinal) is <= 0 || email.EndsWith('@') || email.Any(char.IsWhiteSpace) || email.Any(char.IsControl))
        {
            throw new ArgumentException($"'{email}' is not an email address", nameof(email));
        }

        if (password is null || password.Length < PasswordHash.MinimumPasswordLength)
        {
            throw new ArgumentException($"the password must be at least {PasswordHash.MinimumPasswordLength} characters", nameof(password));
        }

        var canonicalRole = ConsoleRoles.Parse(role)
            ?? throw new ArgumentException($"unknown role '{role}'; roles are {string.Join(", ", ConsoleRoles.All)}", nameof(role));
        if (tenant is null && canonicalRole != ConsoleRoles.Administrator)
        {
            throw new ArgumentException("a platform user (no tenant) must be an Administrator", nameof(role));
        }

        if (tenant is not null && !EventParser.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a valid tenant: 1–64 characters of A-Z a-z 0-9 . _ -", nameof(tenant));
        }

        var id = "usr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return new ConsoleUser(id, email.ToLowerInvariant(), string.IsNullOrWhiteSpace(name) ? null : name.Trim(), tenant, canonicalRole, PasswordHash.Create(password), now)
        {
            SessionStamp = NewSessionStamp(),
        };
    }
}
