using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// OpenSSL's own <c>SHA256_Init/Update/Final</c> called directly, with the context on the stack. .NET's
/// <see cref="SHA256"/> runs the same OpenSSL code but sets up and frees an EVP context on every call,
/// which took as long as hashing a 766-byte leaf and four times as long as hashing a node (bench/RESULTS.md).
/// </summary>
internal sealed unsafe class OpenSslSha256 : Sha256Engine
{
    /// <summary>OpenSSL 3's libcrypto.</summary>
    public const string Library = "libcrypto.so.3";

    // sizeof(SHA256_CTX) is 112 bytes in OpenSSL 1.1 and 3.x; the room is generous.
    private const int ContextSize = 256;

    /// <summary>Inputs up to this size are hashed without a GC transition (under a microsecond, as SuppressGCTransition asks); longer ones with one.</summary>
    private const int ShortInput = 1024;

    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, int> _init;
    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, nuint, int> _updateShort;
    private readonly delegate* unmanaged[Cdecl]<byte*, byte*, nuint, int> _update;
    private readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, int> _final;

    private OpenSslSha256(nint init, nint update, nint final)
    {
        _init = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, int>)init;
        _updateShort = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, nuint, int>)update;
        _update = (delegate* unmanaged[Cdecl]<byte*, byte*, nuint, int>)update;
        _final = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, int>)final;
    }

    public override string Name => "OpenSSL";

    /// <summary>The engine over <paramref name="library"/>; null when it is not Linux, the library does not load, lacks the functions or disagrees with .NET's SHA-256 on a test input.</summary>
    public static OpenSslSha256? TryLoad(string library)
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(library, out var handle))
        {
            return null;
        }

        if (!NativeLibrary.TryGetExport(handle, "SHA256_Init", out var init)
            || !NativeLibrary.TryGetExport(handle, "SHA256_Update", out var update)
            || !NativeLibrary.TryGetExport(handle, "SHA256_Final", out var final))
        {
            return null;
        }

        var engine = new OpenSslSha256(init, update, final);
        return engine.AgreesWith(DotNetSha256.Instance) ? engine : null;
    }

    public override void Hash(byte prefix, ReadOnlySpan<byte> message, Span<byte> hash)
    {
        var context = stackalloc byte[ContextSize];
        var digest = stackalloc byte[MerkleHash.Size];
        fixed (byte* data = message)
        {
            var ok = _init(context) == 1 && _updateShort(context, &prefix, 1) == 1
                && (message.Length <= ShortInput ? _updateShort(context, data, (nuint)message.Length) : _update(context, data, (nuint)message.Length)) == 1
                && _final(digest, context) == 1;
            if (!ok)
            {
                throw new CryptographicException("OpenSSL's SHA-256 failed.");
            }
        }

        new ReadOnlySpan<byte>(digest, MerkleHash.Size).CopyTo(hash);
    }

    public override void Hash(ReadOnlySpan<byte> message, Span<byte> hash)
    {
        var context = stackalloc byte[ContextSize];
        fixed (byte* data = message)
        fixed (byte* digest = hash)
        {
            if (!(_init(context) == 1
                && (message.Length <= ShortInput ? _updateShort(context, data, (nuint)message.Length) : _update(context, data, (nuint)message.Length)) == 1
                && _final(digest, context) == 1))
            {
                throw new CryptographicException("OpenSSL's SHA-256 failed.");
            }
        }
    }

    private bool AgreesWith(Sha256Engine other)
    {
        Span<byte> mine = stackalloc byte[MerkleHash.Size];
        Span<byte> theirs = stackalloc byte[MerkleHash.Size];
        var message = new byte[5000]; // past ShortInput, so that both update calls are tried
        for (var i = 0; i < message.Length; i++)
        {
            message[i] = (byte)(i * 31);
        }

        foreach (var length in (int[])[0, 64, 765, message.Length])
        {
            Hash(0x01, message.AsSpan(0, length), mine);
            other.Hash(0x01, message.AsSpan(0, length), theirs);
            if (!mine.SequenceEqual(theirs))
            {
                return false;
            }

            Hash(message.AsSpan(0, length), mine);
            other.Hash(message.AsSpan(0, length), theirs);
            if (!mine.SequenceEqual(theirs))
            {
                return false;
            }
        }

        return true;
    }
}
