using System.Security.Cryptography;
using Witness.Export;

namespace Witness.Tests.Export;

public sealed class TrailerSignatureTests
{
    [Fact]
    public void A_trailer_verifies_only_with_its_key_and_its_exact_statement()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var digest = Convert.ToHexStringLower(SHA256.HashData("lines"u8));
        var signature = VerifiableExport.SignTrailer(key, "acme", 10, digest);

        Assert.True(VerifiableExport.VerifyTrailer(key, "acme", 10, digest, signature));
        Assert.False(VerifiableExport.VerifyTrailer(other, "acme", 10, digest, signature));
        Assert.False(VerifiableExport.VerifyTrailer(key, "acme", 9, digest, signature));
        Assert.False(VerifiableExport.VerifyTrailer(key, "other", 10, digest, signature));
        Assert.False(VerifiableExport.VerifyTrailer(key, "acme", 10, digest, [1, 2, 3]));
    }

    [Fact]
    public async Task A_file_that_is_not_an_export_is_reported_on_line_1()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var result = await ExportVerifier.VerifyAsync(new MemoryStream("{\"action\":\"x\"}\n"u8.ToArray()), key, CancellationToken.None);
        Assert.False(result.Ok);
        Assert.Equal(1, result.Line);
    }
}
