using System.Security.Cryptography;
using System.Text;

namespace Witness.Server.Webhooks;

/// <summary>
/// Standard Webhooks signing: secrets are <c>whsec_&lt;base64 key&gt;</c>, and a message is signed as
/// <c>v1,&lt;base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" with the key&gt;</c>.
/// </summary>
internal static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";
    private const int MinKeyBytes = 24;
    private const int MaxKeyBytes = 64;

    /// <summary>A new random secret (32 bytes of key).</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Whether <paramref name="secret"/> is <c>whsec_</c> and the base64 of 24 to 64 bytes.</summary>
    public static bool IsValidSecret(string? secret) => KeyOf(secret) is not null;

    /// <summary>The <c>webhook-signature</c> header value for a message.</summary>
    /// <exception cref="ArgumentException">The secret is not a valid <c>whsec_</c> secret.</exception>
    public static string Sign(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        var key = KeyOf(secret) ?? throw new ArgumentException("not a whsec_ secret", nameof(secret));
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    private static byte[]? KeyOf(string? secret)
    {
        if (secret is null || !secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var encoded = secret[SecretPrefix.Length..];
        var buffer = new byte[(encoded.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(encoded, buffer, out var written) && written is >= MinKeyBytes and <= MaxKeyBytes ? buffer[..written] : null;
    }
}
