using System.Security.Cryptography;
using Witness.Integrity;
using Xunit;

namespace Witness.Tests.Integrity;

/// <summary>
/// The SHA-256 seam: OpenSSL's libcrypto called directly where it loads, .NET's <see cref="SHA256"/> otherwise,
/// both giving SHA-256. Engines are called directly here; the store suite runs whole verifications through both
/// (StoreConformanceTests.Verification_finds_the_same_through_OpenSSLs_SHA_256_and_through_dotnets).
/// </summary>
public sealed class Sha256EngineTests
{
    [Fact]
    public void Without_a_loadable_libcrypto_the_engine_is_dotnets_SHA_256()
    {
        Assert.Same(DotNetSha256.Instance, Sha256Engine.Choose("libcrypto-not-installed.so.3"));
    }

    [Fact]
    public void A_library_without_OpenSSLs_SHA_256_functions_falls_back_to_dotnets()
    {
        // libc loads on Linux but has no SHA256_Init.
        Assert.Same(DotNetSha256.Instance, Sha256Engine.Choose("libc.so.6"));
    }

    [Fact]
    public void On_Debian_OpenSSLs_functions_are_chosen_at_startup()
    {
        var expectNative = OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libcrypto.so.3");
        Assert.Equal(expectNative, Sha256Engine.Choose() is OpenSslSha256);
        Assert.Equal(expectNative ? "OpenSSL" : ".NET", Sha256Engine.Choose().Name);
    }

    [Fact]
    public void Both_engines_give_SHA_256_of_the_prefixed_and_the_plain_input_at_every_length()
    {
        var engines = new List<Sha256Engine> { DotNetSha256.Instance };
        if (OpenSslSha256.TryLoad(OpenSslSha256.Library) is { } openSsl)
        {
            engines.Add(openSsl);
        }

        var message = RandomNumberGenerator.GetBytes(5000);
        Span<byte> hash = stackalloc byte[32];
        foreach (var length in Enumerable.Range(0, 140).Concat([1023, 1024, 1025, 2047, 2048, 2049, 5000]))
        {
            var input = message.AsSpan(0, length);
            var prefixed = SHA256.HashData([0x01, .. input]);
            var plain = SHA256.HashData(input);
            foreach (var engine in engines)
            {
                engine.Hash(0x01, input, hash);
                Assert.True(hash.SequenceEqual(prefixed), $"{engine.Name}, prefixed, {length} bytes");
                engine.Hash(input, hash);
                Assert.True(hash.SequenceEqual(plain), $"{engine.Name}, plain, {length} bytes");
            }
        }
    }

    [Fact]
    public void Each_engine_hashes_a_prefixed_message_into_its_own_buffer()
    {
        // MerkleHash hashes a level up in place: the hash overwrites the start of the two children it is of.
        var children = RandomNumberGenerator.GetBytes(64);
        var expected = SHA256.HashData([0x01, .. children]);
        foreach (var engine in new Sha256Engine?[] { DotNetSha256.Instance, OpenSslSha256.TryLoad(OpenSslSha256.Library) }.OfType<Sha256Engine>())
        {
            var buffer = children.ToArray();
            engine.Hash(0x01, buffer, buffer);
            Assert.Equal(expected, buffer[..32]);
        }
    }
}
