using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Witness.Storage;

namespace Witness.Access;

/// <summary>
/// API keys: <c>wk_&lt;key id&gt;_&lt;secret&gt;</c>. The id finds the stored record; only the
/// SHA-256 of the 256-bit secret is stored, and it is compared in constant time. A key is shown once,
/// when it is created.
/// </summary>
public static class ApiKeys
{
    private const string Prefix = "wk_";

    /// <summary>Creates a key. <paramref name="tenant"/> null makes a global key.</summary>
    /// <exception cref="ArgumentException">A scope is unknown or the tenant name is invalid.</exception>
    public static (string Key, ApiKeyRecord Record) Create(string? tenant, IReadOnlyList<string> scopes, string name, DateTimeOffset now)
    {
        if (tenant is not null && !Events.EventParser.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a valid tenant: 1–64 characters of A-Z a-z 0-9 . _ -", nameof(tenant));
        }

        if (scopes.Count == 0)
        {
            throw new ArgumentException($"a key needs at least one scope: {string.Join(", ", Scopes.All)}", nameof(scopes));
        }

        foreach (var scope in scopes)
        {
            if (!Scopes.All.Contains(scope))
            {
                throw new ArgumentException($"unknown scope '{scope}'; scopes are {string.Join(", ", Scopes.All)}", nameof(scopes));
            }
        }

        var keyId = Base64Url(RandomNumberGenerator.GetBytes(9));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var record = new ApiKeyRecord(keyId, Hash(secret), tenant, [.. scopes.Distinct()], name, now);
        return ($"{Prefix}{keyId}_{secret}", record);
    }

    /// <summary>Splits a presented key into its id and secret; false when it does not have the key's shape.</summary>
    public static bool TryParse(string? key, [NotNullWhen(true)] out string? keyId, [NotNullWhen(true)] out string? secret)
    {
        keyId = secret = null;
        if (key is null || !key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length != Prefix.Length + 12 + 1 + 43 || key[Prefix.Length + 12] != '_')
        {
            return false;
        }

        keyId = key.Substring(Prefix.Length, 12);
        secret = key[(Prefix.Length + 13)..];
        return true;
    }

    /// <summary>True when <paramref name="secret"/> is the secret of <paramref name="record"/>; constant time in the secret.</summary>
    public static bool Matches(ApiKeyRecord record, string secret) =>
        CryptographicOperations.FixedTimeEquals(Hash(secret), record.SecretHash);

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>The scopes of SPEC §4. <see cref="Admin"/> includes the other two.</summary>
public static class Scopes
{
    public const string EventsWrite = "events:write";
    public const string EventsRead = "events:read";
    public const string Admin = "admin";

    public static IReadOnlyList<string> All { get; } = [EventsWrite, EventsRead, Admin];
}
