using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>
/// SHA-256 of a prefix byte and a message, for the many small inputs of a Merkle log (a leaf is a few
/// hundred bytes, a node 65). Where OpenSSL's libcrypto 3 is loaded (Linux), it calls OpenSSL's own
/// <c>SHA256_Init/Update/Final</c> with the context on the stack; .NET's <see cref="SHA256"/> runs the
/// same OpenSSL code but sets up and frees an EVP context on every call, which took as long as hashing a
/// 766-byte leaf and four times as long as hashing a node (bench/RESULTS.md). Elsewhere, or when the
/// functions are missing or disagree with <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>
/// on a test input at load, it is <see cref="SHA256"/>. Thread-safe.
/// </summary>
internal static unsafe class Sha256
{
    // sizeof(SHA256_CTX) is 112 bytes in OpenSSL 1.1 and 3.x; the room is generous.
    private const int ContextSize = 256;

    private static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, int> Init;
    private static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, nuint, int> UpdateShort;
    private static readonly delegate* unmanaged[Cdecl]<byte*, byte*, nuint, int> Update;
    private static readonly delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, int> Final;

    /// <summary>Inputs up to this size are hashed without a GC transition (under a microsecond, as SuppressGCTransition asks); longer ones with one.</summary>
    private const int ShortInput = 1024;

    static Sha256()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libcrypto.so.3", out var library))
        {
            return;
        }

        if (NativeLibrary.TryGetExport(library, "SHA256_Init", out var init)
            && NativeLibrary.TryGetExport(library, "SHA256_Update", out var update)
            && NativeLibrary.TryGetExport(library, "SHA256_Final", out var final))
        {
            Init = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, int>)init;
            UpdateShort = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, nuint, int>)update;
            Update = (delegate* unmanaged[Cdecl]<byte*, byte*, nuint, int>)update;
            Final = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, int>)final;
            IsNative = AgreesWithDotNet();
        }
    }

    /// <summary>Whether OpenSSL's functions are called directly (for the benchmark's report).</summary>
    public static bool IsNative { get; }

    /// <summary>Writes <c>SHA-256(prefix ‖ message)</c> to the first 32 bytes of <paramref name="hash"/>, which may overlap the message.</summary>
    public static void Hash(byte prefix, ReadOnlySpan<byte> message, Span<byte> hash)
    {
        if (hash.Length < MerkleHash.Size)
        {
            throw new ArgumentException($"The hash needs {MerkleHash.Size} bytes.", nameof(hash));
        }

        if (!IsNative)
        {
            HashManaged(prefix, message, hash);
            return;
        }

        HashNative(prefix, message, hash);
    }

    /// <summary>Writes <c>SHA-256(message)</c> to the first 32 bytes of <paramref name="hash"/>, which must not overlap the message.</summary>
    public static void Hash(ReadOnlySpan<byte> message, Span<byte> hash)
    {
        if (hash.Length < MerkleHash.Size)
        {
            throw new ArgumentException($"The hash needs {MerkleHash.Size} bytes.", nameof(hash));
        }

        if (!IsNative)
        {
            SHA256.HashData(message, hash);
            return;
        }

        var context = stackalloc byte[ContextSize];
        fixed (byte* data = message)
        fixed (byte* digest = hash)
        {
            if (!(Init(context) == 1
                && (message.Length <= ShortInput ? UpdateShort(context, data, (nuint)message.Length) : Update(context, data, (nuint)message.Length)) == 1
                && Final(digest, context) == 1))
            {
                throw new CryptographicException("OpenSSL's SHA-256 failed.");
            }
        }
    }

    private static void HashNative(byte prefix, ReadOnlySpan<byte> message, Span<byte> hash)
    {
        var context = stackalloc byte[ContextSize];
        var digest = stackalloc byte[MerkleHash.Size];
        fixed (byte* data = message)
        {
            var ok = Init(context) == 1 && UpdateShort(context, &prefix, 1) == 1
                && (message.Length <= ShortInput ? UpdateShort(context, data, (nuint)message.Length) : Update(context, data, (nuint)message.Length)) == 1
                && Final(digest, context) == 1;
            if (!ok)
            {
                throw new CryptographicException("OpenSSL's SHA-256 failed.");
            }
        }

        new ReadOnlySpan<byte>(digest, MerkleHash.Size).CopyTo(hash);
    }

    private static void HashManaged(byte prefix, ReadOnlySpan<byte> message, Span<byte> hash)
    {
        const int StackLimit = 2048;
        var length = message.Length + 1;
        byte[]? rented = null;
        var input = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            input[0] = prefix;
            message.CopyTo(input[1..]);
            SHA256.HashData(input[..length], hash);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static bool AgreesWithDotNet()
    {
        Span<byte> native = stackalloc byte[MerkleHash.Size];
        Span<byte> managed = stackalloc byte[MerkleHash.Size];
        var message = new byte[5000]; // past ShortInput, so that both update calls are tried
        for (var i = 0; i < message.Length; i++)
        {
            message[i] = (byte)(i * 31);
        }

        foreach (var length in (int[])[0, 64, 765, message.Length])
        {
            HashNative(0x01, message.AsSpan(0, length), native);
            HashManaged(0x01, message.AsSpan(0, length), managed);
            if (!native.SequenceEqual(managed))
            {
                return false;
            }
        }

        return true;
    }
}
