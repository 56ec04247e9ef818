using System.Security.Cryptography;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Verification;

namespace Witness.Storage.Tests.Conformance;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Verification_finds_the_same_through_OpenSSLs_SHA_256_and_through_dotnets()
    {
        await using var store = await OpenStoreAsync();
        var tenant = Submit.Tenant();
        using var key = SigningKey.FromPem(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem(), "witness");
        var issuer = new CheckpointIssuer(store, key, TimeProvider.System);
        await store.AppendManyAsync(tenant, 40);
        await issuer.IssueAsync(tenant, CancellationToken.None);
        await store.AppendManyAsync(tenant, 9);
        var verifier = new ChainVerifier(store, key.Key, key.KeyName);

        var intact = await ThroughBothEnginesAsync(() => verifier.VerifyAsync(tenant, CancellationToken.None));
        Assert.True(intact.Ok, intact.Problem);
        Assert.Equal(49, intact.Events);
        Assert.Equal(1, intact.CheckpointsChecked);

        await SqlAsync(tenant, "UPDATE events SET hash = " + BlobLiteral(new string('0', 64)) + " WHERE tenant_id = {tenant} AND seq = 17");
        var tampered = await ThroughBothEnginesAsync(() => verifier.VerifyAsync(tenant, CancellationToken.None));
        Assert.False(tampered.Ok);
        Assert.Equal(17, tampered.FirstBadSeq);
        Assert.Contains("event 17 was changed", tampered.Problem);
    }

    /// <summary>Runs a verification with OpenSSL's SHA-256 (where it loads, as on Debian) and again with .NET's fallback; both must find the same.</summary>
    private static async Task<ChainVerification> ThroughBothEnginesAsync(Func<Task<ChainVerification>> verify)
    {
        var chosen = Sha256Engine.Choose();
        Assert.Equal(OperatingSystem.IsLinux() && File.Exists("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"), chosen is OpenSslSha256);
        ChainVerification throughChosen;
        using (Sha256.Use(chosen))
        {
            throughChosen = await verify();
        }

        ChainVerification throughDotNet;
        using (Sha256.Use(DotNetSha256.Instance))
        {
            Assert.False(Sha256.IsNative);
            throughDotNet = await verify();
        }

        Assert.Equal(throughChosen, throughDotNet);
        return throughDotNet;
    }
}
