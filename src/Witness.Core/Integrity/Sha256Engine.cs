namespace Witness.Integrity;

/// <summary>One implementation of SHA-256 behind <see cref="Sha256"/>: OpenSSL's called directly, or .NET's.</summary>
internal abstract class Sha256Engine
{
    /// <summary>A short name for reports.</summary>
    public abstract string Name { get; }

    /// <summary>Writes <c>SHA-256(prefix ‖ message)</c> to the first 32 bytes of <paramref name="hash"/>, which may overlap the message.</summary>
    public abstract void Hash(byte prefix, ReadOnlySpan<byte> message, Span<byte> hash);

    /// <summary>Writes <c>SHA-256(message)</c> to the first 32 bytes of <paramref name="hash"/>, which must not overlap the message.</summary>
    public abstract void Hash(ReadOnlySpan<byte> message, Span<byte> hash);

    /// <summary>
    /// OpenSSL's SHA-256 called directly when <paramref name="library"/> loads (Linux), has the functions and
    /// agrees with .NET's on test inputs; otherwise .NET's <see cref="System.Security.Cryptography.SHA256"/>.
    /// </summary>
    public static Sha256Engine Choose(string library = OpenSslSha256.Library) => (Sha256Engine?)OpenSslSha256.TryLoad(library) ?? DotNetSha256.Instance;
}
