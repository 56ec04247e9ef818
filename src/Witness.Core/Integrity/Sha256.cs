using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// SHA-256 of a prefix byte and a message, for the many small inputs of a Merkle log (a leaf is a few
/// hundred bytes, a node 65), through one engine chosen once at startup (<see cref="Sha256Engine.Choose"/>):
/// OpenSSL's libcrypto called directly where it loads (<see cref="OpenSslSha256"/>), else .NET's
/// <see cref="SHA256"/> (<see cref="DotNetSha256"/>). Both give the same hashes; the first is faster on
/// small inputs (bench/RESULTS.md). Thread-safe.
/// </summary>
internal static class Sha256
{
    private static readonly SemaphoreSlim Swapping = new(1, 1);
    private static Sha256Engine s_engine = Sha256Engine.Choose();

    /// <summary>The engine every hash goes through.</summary>
    public static Sha256Engine Engine => s_engine;

    /// <summary>Whether OpenSSL's functions are called directly (for the benchmark's report).</summary>
    public static bool IsNative => s_engine is OpenSslSha256;

    /// <summary>Writes <c>SHA-256(prefix ‖ message)</c> to the first 32 bytes of <paramref name="hash"/>, which may overlap the message.</summary>
    public static void Hash(byte prefix, ReadOnlySpan<byte> message, Span<byte> hash)
    {
        if (hash.Length < MerkleHash.Size)
        {
            throw new ArgumentException($"The hash needs {MerkleHash.Size} bytes.", nameof(hash));
        }

        s_engine.Hash(prefix, message, hash);
    }

    /// <summary>Writes <c>SHA-256(message)</c> to the first 32 bytes of <paramref name="hash"/>, which must not overlap the message.</summary>
    public static void Hash(ReadOnlySpan<byte> message, Span<byte> hash)
    {
        if (hash.Length < MerkleHash.Size)
        {
            throw new ArgumentException($"The hash needs {MerkleHash.Size} bytes.", nameof(hash));
        }

        s_engine.Hash(message, hash);
    }

    /// <summary>
    /// Hashes through <paramref name="engine"/> until the result is disposed, for tests that run the same work
    /// through both engines. One swap at a time: a second waits for the first to be disposed.
    /// </summary>
    internal static IDisposable Use(Sha256Engine engine)
    {
        Swapping.Wait();
        var before = s_engine;
        s_engine = engine;
        return new Restore(before);
    }

    private sealed class Restore(Sha256Engine before) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_engine = before;
                Swapping.Release();
            }
        }
    }
}
