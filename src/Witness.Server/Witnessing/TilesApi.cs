using System.Buffers.Binary;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Witness.Access;
using Witness.Checkpoints;
using Witness.Events;
using Witness.Integrity;
using Witness.Server.Auth;
using Witness.Server.Http;
using Witness.Storage;

namespace Witness.Server.Witnessing;

/// <summary>
/// The logs as C2SP tlog-tiles: <c>/tiles/heads/</c> (public) and <c>/tiles/tenants/{tenant}/</c> (a key that may
/// read the tenant), each with <c>checkpoint</c>, hash tiles <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> and entry
/// bundles <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c>. Full tiles never change and are cached for a year; the
/// checkpoint for a few seconds. A tenant log's entries are its events' leaf bytes (what its leaves hash: the canonical bytes, personal values as commitments from leaf version 2 on);
/// the heads log's are the 32-byte SHA-256 of tenant checkpoint bodies.
/// </summary>
internal static class TilesApi
{
    private const int Width = 256;
    private const string Immutable = "public, max-age=31536000, immutable";

    public static void Map(IEndpointRouteBuilder app)
    {
        var heads = app.MapGroup("/tiles/heads").WithTags("Witnessing").AllowAnonymous();
        heads.MapGet("/checkpoint", HeadsCheckpointAsync)
            .WithSummary("The heads log's latest checkpoint (C2SP tlog-tiles): the cosigned one when witnesses are configured and have signed it.")
            .Produces<string>(200, "text/plain").ProducesProblem(404);
        heads.MapGet("/tile/{**path}", HeadsTileAsync)
            .WithSummary("A hash tile tile/<L>/<N>[.p/<W>] or entry bundle tile/entries/<N>[.p/<W>] of the heads log (C2SP tlog-tiles).")
            .Produces<byte[]>(200, "application/octet-stream").ProducesProblem(404);

        var tenants = app.MapGroup("/tiles/tenants/{tenant}").WithTags("Witnessing").RequireAuthorization(Scopes.EventsRead);
        tenants.MapGet("/checkpoint", TenantCheckpointAsync)
            .WithSummary("The tenant log's latest checkpoint (C2SP tlog-tiles); the key must be able to read the tenant.")
            .Produces<string>(200, "text/plain").ProducesProblem(403).ProducesProblem(404);
        tenants.MapGet("/tile/{**path}", TenantTileAsync)
            .WithSummary("A hash tile or entry bundle of the tenant's log (C2SP tlog-tiles); entries are the events' leaf bytes (personal values as salted commitments).")
            .Produces<byte[]>(200, "application/octet-stream").ProducesProblem(403).ProducesProblem(404);
    }

    private static async Task<IResult> HeadsCheckpointAsync(HttpContext context, HeadsLog heads, WitnessServerOptions options)
    {
        var policy = options.Witnessing.EffectivePolicy;
        var cosigned = policy > 0 ? await heads.Store.LatestCosignedHeadsAsync(policy, context.RequestAborted) : null;
        var latest = await heads.Store.LatestHeadsCheckpointAsync(context.RequestAborted);
        var note = cosigned?.Note ?? latest?.Note;
        return note is null ? Problems.NotFound("The heads log is empty: no tenant has a checkpoint yet.") : Checkpoint(context, note);
    }

    private static async Task<IResult> HeadsTileAsync(HttpContext context, string path, HeadsLog heads)
    {
        var size = (await heads.Store.LatestHeadsCheckpointAsync(context.RequestAborted))?.Size ?? 0;
        return await TileAsync(context, path, size, heads.Store.HeadsNodes, async (start, count, ct) =>
        {
            var entries = await heads.Store.ReadHeadEntriesAsync(start, count, ct);
            return entries;
        });
    }

    private static async Task<IResult> TenantCheckpointAsync(HttpContext context, string tenant, CheckpointIssuer issuer)
    {
        if (Refusal(context, tenant) is { } refusal)
        {
            return refusal;
        }

        var checkpoint = await issuer.IssueAsync(tenant, context.RequestAborted);
        return checkpoint is null ? Problems.NotFound($"Tenant '{tenant}' has no events yet, so its log has no checkpoint.") : Checkpoint(context, checkpoint.Note);
    }

    private static async Task<IResult> TenantTileAsync(HttpContext context, string tenant, string path, IWitnessStore store)
    {
        if (Refusal(context, tenant) is { } refusal)
        {
            return refusal;
        }

        var size = (await store.GetFrontierAsync(tenant, context.RequestAborted))?.Size ?? 0;
        return await TileAsync(context, path, size, store.Nodes(tenant), async (start, count, ct) =>
        {
            await using var snapshot = await store.OpenSnapshotAsync(tenant, ct);
            var bodies = new List<byte[]>(count);
            await foreach (var row in snapshot.ReadLogAsync(start + 1, ct))
            {
                if (row.Seq > start + count)
                {
                    break;
                }

                // What the leaf hashes: with leaf version 2 the personal values are commitments here, never the values.
                bodies.Add(row.LeafBytes() ?? row.Body);
            }

            return bodies;
        });
    }

    /// <summary>A tenant-bound key reads only its tenant; a global key any valid tenant name.</summary>
    private static IResult? Refusal(HttpContext context, string tenant)
    {
        var caller = Caller.From(context.User);
        if (!EventParser.IsValidTenant(tenant))
        {
            return Problems.Invalid("tenant", "must be 1–64 characters of A-Z a-z 0-9 . _ -");
        }

        return caller.Tenant is not null && caller.Tenant != tenant
            ? Problems.Result(403, "Wrong tenant", $"This API key is bound to tenant '{caller.Tenant}' and cannot read '{tenant}'.")
            : null;
    }

    private static IResult Checkpoint(HttpContext context, string note)
    {
        context.Response.Headers.CacheControl = "public, max-age=5";
        return Results.Text(note, "text/plain; charset=utf-8");
    }

    private static async Task<IResult> TileAsync(HttpContext context, string path, long treeSize, INodeSource nodes,
        Func<long, int, CancellationToken, Task<IReadOnlyList<byte[]>>> readEntries)
    {
        if (!TryParseTilePath(path, out var level, out var index, out var width))
        {
            return Problems.NotFound($"'{path}' is not a tile path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], <N> in 3-digit groups such as x001/234.");
        }

        var unit = level < 0 ? 1L : 1L << (8 * level);
        var first = index * Width;
        var count = width ?? Width;
        if (level > 7 || first + count > treeSize / unit)
        {
            return Problems.NotFound($"The tile {path} is beyond the log, whose size is {treeSize}.");
        }

        byte[] body;
        var ct = context.RequestAborted;
        if (level < 0)
        {
            var entries = await readEntries(first, count, ct);
            if (entries.Count != count)
            {
                return Problems.Result(410, "Purged by retention", $"The entries of {path} are no longer stored.");
            }

            var bundle = new MemoryStream();
            foreach (var entry in entries)
            {
                if (entry.Length > ushort.MaxValue)
                {
                    return Problems.Result(422, "Entry too large", $"An entry of {path} is {entry.Length} bytes, more than an entry bundle holds (65,535).");
                }

                var length = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)entry.Length);
                bundle.Write(length);
                bundle.Write(entry);
            }

            body = bundle.ToArray();
        }
        else
        {
            var ranges = Enumerable.Range(0, count).Select(i => ((first + i) * unit, (first + i + 1) * unit)).ToList();
            byte[][] hashes;
            try
            {
                hashes = await new SubtreeHasher(nodes).HashManyAsync(ranges, ct);
            }
            catch (PurgedLeavesException ex)
            {
                return Problems.Result(410, "Purged by retention", ex.Message);
            }

            body = [.. hashes.SelectMany(h => h)];
        }

        context.Response.Headers.CacheControl = width is null ? Immutable : "public, max-age=5";
        return Results.Bytes(body, "application/octet-stream");
    }

    /// <summary>Reads <c>&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c> or <c>entries/&lt;N&gt;[.p/&lt;W&gt;]</c> (level −1 for entries).</summary>
    internal static bool TryParseTilePath(string path, out int level, out long index, out int? width)
    {
        (level, index, width) = (0, 0, null);
        var parts = path.Split('/');
        if (parts.Length < 2)
        {
            return false;
        }

        if (parts[0] == "entries")
        {
            level = -1;
        }
        else if (!IsDecimal(parts[0], 2) || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out level) || level > 63)
        {
            return false;
        }

        var rest = parts[1..];
        if (rest.Length >= 2 && rest[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!IsDecimal(rest[^1], 3) || !int.TryParse(rest[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var w) || w is < 1 or > 255)
            {
                return false;
            }

            width = w;
            rest = [.. rest[..^2], rest[^2][..^2]];
        }

        for (var i = 0; i < rest.Length; i++)
        {
            var element = rest[i];
            var last = i == rest.Length - 1;
            if (!last && !element.StartsWith('x'))
            {
                return false;
            }

            var digits = last ? element : element[1..];
            if (digits.Length != 3 || !digits.All(char.IsAsciiDigit) || index > (long.MaxValue / 1000) - 1)
            {
                return false;
            }

            index = (index * 1000) + int.Parse(digits, CultureInfo.InvariantCulture);
        }

        return rest.Length > 0;
    }

    private static bool IsDecimal(string text, int maxDigits) =>
        text.Length is > 0 && text.Length <= maxDigits && text.All(char.IsAsciiDigit) && (text.Length == 1 || text[0] != '0');
}
