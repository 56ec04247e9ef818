using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Witness.Checkpoints;
using Witness.Integrity;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Witnessing;

public sealed class HeadsLogTests
{
    private const string Origin = "audit.example.com";

    [Fact]
    public async Task Go_sumdb_tlog_verifies_a_tenant_checkpoint_is_included_in_the_signed_heads_log()
    {
        await using var server = await RunningServer.StartAsync(o => o.Origin = Origin);
        var tenant = Some.Tenant();
        using var client = await server.ClientForAsync(tenant);
        using var other = await server.ClientForAsync(Some.Tenant());
        await Some.SendManyAsync(client, tenant, 4);
        await (await other.GetAsync("/v1/checkpoints/latest")).Content.ReadAsStringAsync();
        var latest = await (await client.GetAsync("/v1/checkpoints/latest")).JsonAsync();
        var note = latest.GetProperty("note").GetString()!;
        var heads = latest.GetProperty("heads");

        // The entry commits to the checkpoint body (origin, size, root) without naming the tenant.
        var body = note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
        var entry = SHA256.HashData(Encoding.UTF8.GetBytes(body));
        Assert.Equal(Convert.ToBase64String(entry), heads.GetProperty("entry").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([0, .. entry])), heads.GetProperty("leaf_hash").GetString());
        Assert.Equal($"{Origin}/heads", heads.GetProperty("origin").GetString());
        var headsNote = heads.GetProperty("checkpoint").GetString()!;
        Assert.DoesNotContain(tenant, headsNote, StringComparison.Ordinal);

        var ed25519 = server.Services.GetRequiredService<SigningKey>().Ed25519!.VerifierKey;
        var noteFile = GoChecker.WriteNote(headsNote);
        var (exit, output) = await GoChecker.RunAsync(
            ["inclusion", ed25519, noteFile, heads.GetProperty("index").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
             heads.GetProperty("leaf_hash").GetString()!, .. heads.GetProperty("proof").EnumerateArray().Select(p => p.GetString()!)]);
        Assert.True(exit == 0, output);
        Assert.StartsWith($"OK {Origin}/heads ", output);

        // Another leaf does not verify at that index.
        var (wrongExit, _) = await GoChecker.RunAsync(
            ["inclusion", ed25519, noteFile, heads.GetProperty("index").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
             Convert.ToHexStringLower(SHA256.HashData([0, .. SHA256.HashData(Encoding.UTF8.GetBytes(body + "x"))])), .. heads.GetProperty("proof").EnumerateArray().Select(p => p.GetString()!)]);
        Assert.Equal(1, wrongExit);
    }

    [Fact]
    public async Task Go_sumdb_tlog_reads_the_heads_log_and_a_tenant_log_through_their_tiles()
    {
        await using var server = await RunningServer.StartAsync(o => o.Origin = Origin);
        var headsLog = server.Services.GetRequiredService<HeadsLog>();
        for (var i = 1; i <= 300; i++)
        {
            await headsLog.AppendAsync(new Checkpoint($"{Origin}/tenants/synthetic", i, SHA256.HashData(BitConverter.GetBytes(i))), CancellationToken.None);
        }

        var ed25519 = server.Services.GetRequiredService<SigningKey>().Ed25519!.VerifierKey;
        var (exit, output) = await GoChecker.RunAsync("tiles", ed25519, new Uri(server.Address, "/tiles/heads").ToString());
        Assert.True(exit == 0, output);
        Assert.Equal($"OK {Origin}/heads 300 read through tiles", output);

        using var anonymous = server.Client();
        var full = await anonymous.GetAsync("/tiles/heads/tile/0/000");
        Assert.Equal(System.Net.HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(8192, (await full.Content.ReadAsByteArrayAsync()).Length);
        Assert.Contains("immutable", full.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        var partial = await anonymous.GetAsync("/tiles/heads/tile/0/001.p/44");
        Assert.Equal(44 * 32, (await partial.Content.ReadAsByteArrayAsync()).Length);
        Assert.DoesNotContain("immutable", partial.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await anonymous.GetAsync("/tiles/heads/tile/0/001")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await anonymous.GetAsync("/tiles/heads/tile/0/1")).StatusCode);
        var bundle = await (await anonymous.GetAsync("/tiles/heads/tile/entries/001.p/44")).Content.ReadAsByteArrayAsync();
        Assert.Equal(44 * 34, bundle.Length);

        var tenant = Some.Tenant();
        var key = await server.CreateKeyAsync(tenant);
        using var client = server.Client(key);
        await Some.SendManyAsync(client, tenant, 300);
        var (tenantExit, tenantOutput) = await GoChecker.RunWithBearerAsync(key, "tiles", ed25519, new Uri(server.Address, $"/tiles/tenants/{tenant}").ToString());
        Assert.True(tenantExit == 0, tenantOutput);
        Assert.Equal($"OK {Origin}/tenants/{tenant} 300 read through tiles", tenantOutput);

        // Each entry of a tenant's bundle is an event's leaf bytes, which its leaf hash in the level-0 tile hashes.
        var tile = await (await client.GetAsync($"/tiles/tenants/{tenant}/tile/0/000")).Content.ReadAsByteArrayAsync();
        var entries = await (await client.GetAsync($"/tiles/tenants/{tenant}/tile/entries/000")).Content.ReadAsByteArrayAsync();
        var offset = 0;
        for (var i = 0; i < 256; i++)
        {
            var length = BinaryPrimitives.ReadUInt16BigEndian(entries.AsSpan(offset));
            var leaf = SHA256.HashData([0, .. entries.AsSpan(offset + 2, length)]);
            Assert.Equal(tile.AsSpan(i * 32, 32).ToArray(), leaf);
            offset += 2 + length;
        }

        Assert.Equal(entries.Length, offset);

        // The bundle holds what the leaves hash: from leaf version 2 on, personal values only as commitments.
        var text = System.Text.Encoding.UTF8.GetString(entries);
        Assert.Contains("{\"sha256\":\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("user@cognigy.com", text, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.7", text, StringComparison.Ordinal);

        // Another tenant's key, and no key, read nothing of this tenant's log.
        using var stranger = await server.ClientForAsync(Some.Tenant());
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await stranger.GetAsync($"/tiles/tenants/{tenant}/tile/0/000")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/tiles/tenants/{tenant}/checkpoint")).StatusCode);
    }
}
