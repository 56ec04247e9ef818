using Microsoft.AspNetCore.DataProtection;

namespace Witness.Server.Secrets;

/// <summary>
/// Encrypts secrets kept in the store (webhook signing secrets) with ASP.NET Core Data Protection,
/// whose key ring lives beside the checkpoint signing key (<see cref="KeyRingFolder"/>), not in the
/// store: a copy of the database alone does not reveal them. A stored value without the
/// <see cref="Prefix"/> is a plaintext secret from before encryption, read as it is until
/// <see cref="ProtectedWebhookStore.ProtectStoredSecretsAsync"/> rewrites it.
/// </summary>
internal sealed class SecretProtector(IDataProtectionProvider provider)
{
    public const string Prefix = "enc1:";

    private readonly IDataProtector _protector = provider.CreateProtector("Witness.StoredSecrets.v1");

    public string Protect(string secret) => Prefix + _protector.Protect(secret);

    /// <exception cref="System.Security.Cryptography.CryptographicException">The key that encrypted it is not in the key ring.</exception>
    public string Unprotect(string stored) => IsProtected(stored) ? _protector.Unprotect(stored[Prefix.Length..]) : stored;

    public static bool IsProtected(string stored) => stored.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Where the key ring is kept: <see cref="WitnessServerOptions.KeyRingDirectory"/> when set, else
    /// <c>console-keys</c> beside the signing key file when one is given (instances that share a
    /// PostgreSQL database share that file, and so this folder), else in the data folder.
    /// </summary>
    public static string KeyRingFolder(WitnessServerOptions options) =>
        options.KeyRingDirectory
        ?? (options.SigningKeyFile is { } key
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(key))!, "console-keys")
            : Path.Combine(options.DataDirectory, "console-keys"));
}
