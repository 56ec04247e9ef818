using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Witness.Events;

namespace Witness.Server.Console;

/// <summary>
/// Short-lived, tenant-bound tokens of the embeddable viewer: <c>base64url(payload).base64url(HMAC-SHA256)</c>
/// under a 256-bit secret kept in the data folder (created at first start, readable by its owner
/// only). The payload names the tenant, the API key that asked for the token and the expiry; a
/// token cannot be widened to another tenant or extended without the secret.
/// </summary>
internal sealed class ViewerTokens(byte[] secret, TimeProvider clock)
{
    public const string FileName = "viewer-token-secret";
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(24);
    private const string Version = "v1";

    /// <summary>Loads the secret from <paramref name="dataDirectory"/>, creating it on first use.</summary>
    public static ViewerTokens LoadOrCreate(string dataDirectory, TimeProvider clock)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path))
        {
            var created = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream))
            {
                writer.WriteLine(created);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return new ViewerTokens(Convert.FromBase64String(File.ReadAllText(path).Trim()), clock);
    }

    /// <summary>A token for <paramref name="tenant"/> valid for <paramref name="lifetime"/> from now.</summary>
    public (string Token, DateTimeOffset ExpiresAt) Issue(string tenant, string issuedBy, TimeSpan lifetime)
    {
        if (!EventParser.IsValidTenant(tenant))
        {
            throw new ArgumentException($"'{tenant}' is not a tenant", nameof(tenant));
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().Add(lifetime).ToUnixTimeSeconds());
        var payload = Encoding.UTF8.GetBytes(string.Join('\n', Version, tenant, issuedBy, expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        return ($"{WebEncoders.Base64UrlEncode(payload)}.{WebEncoders.Base64UrlEncode(Sign(payload))}", expiresAt);
    }

    /// <summary>Checks a token's signature, then its expiry. Never throws.</summary>
    public ViewerTokenCheck Check(string? token)
    {
        var dot = token?.IndexOf('.') ?? -1;
        if (token is null || token.Length > 512 || dot <= 0)
        {
            return ViewerTokenCheck.Invalid;
        }

        byte[] payload, mac;
        try
        {
            payload = WebEncoders.Base64UrlDecode(token[..dot]);
            mac = WebEncoders.Base64UrlDecode(token[(dot + 1)..]);
        }
        catch (FormatException)
        {
            return ViewerTokenCheck.Invalid;
        }

        if (!CryptographicOperations.FixedTimeEquals(Sign(payload), mac))
        {
            return ViewerTokenCheck.Invalid;
        }

        var parts = Encoding.UTF8.GetString(payload).Split('\n');
        if (parts.Length != 4 || parts[0] != Version || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return ViewerTokenCheck.Invalid;
        }

        var grant = new ViewerGrant(parts[1], parts[2], DateTimeOffset.FromUnixTimeSeconds(expires));
        return clock.GetUtcNow() >= grant.ExpiresAt ? new ViewerTokenCheck(ViewerTokenStatus.Expired, grant) : new ViewerTokenCheck(ViewerTokenStatus.Valid, grant);
    }

    private byte[] Sign(byte[] payload) => HMACSHA256.HashData(secret, payload);
}

/// <summary>What a valid token allows: reading <see cref="Tenant"/> until <see cref="ExpiresAt"/>; <see cref="IssuedBy"/> is the API key that asked for it.</summary>
internal sealed record ViewerGrant(string Tenant, string IssuedBy, DateTimeOffset ExpiresAt);

internal enum ViewerTokenStatus
{
    Invalid,
    Expired,
    Valid,
}

/// <summary>The result of checking a token; <see cref="Grant"/> is set for valid and expired tokens.</summary>
internal sealed record ViewerTokenCheck(ViewerTokenStatus Status, ViewerGrant? Grant)
{
    public static ViewerTokenCheck Invalid { get; } = new(ViewerTokenStatus.Invalid, null);
}
