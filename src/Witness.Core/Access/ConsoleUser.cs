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

    /// <summary>The name shown in the console and recorded as the actor's name: the name, else the email.</summary>
    public string DisplayName => string.IsNullOrWhiteSpace(Name) ? Email : Name;
}
