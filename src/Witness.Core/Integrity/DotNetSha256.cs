using System.Buffers;
using System.Security.Cryptography;

namespace Witness.Integrity;

/// <summary>.NET's <see cref="SHA256"/>: the fallback where OpenSSL's libcrypto cannot be called directly.</summary>
internal sealed class DotNetSha256 : Sha256Engine
{
    public static DotNetSha256 Instance { get; } = new();

    private DotNetSha256()
    {
    }

    public override string Name => ".NET";

    public override void Hash(byte prefix, ReadOnlySpan<byte> message, Span<byte> hash)
    {
        const int StackLimit = 2048;
        var length = message.Length + 1;
        byte[]? rented = null;
        var input = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
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
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public override void Hash(ReadOnlySpan<byte> message, Span<byte> hash) => SHA256.HashData(message, hash);
}
