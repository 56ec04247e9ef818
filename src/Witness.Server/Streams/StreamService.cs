using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Witness.Catalog;
using Witness.Events;
using Witness.Search;
using Witness.Server.Auditing;
using Witness.Server.Auth;
using Witness.Server.Configuration;
using Witness.Server.Secrets;
using Witness.Server.Webhooks;
using Witness.Storage;
using Witness.Streams;

namespace Witness.Server.Streams;

/// <summary>
/// A tenant's log streams: checks a definition (every wrong field named), saves it with its secret
/// sealed, sets the starting cursor (live, or backfill from a seq or a time), pauses and resumes, sends a
/// test event, and tells a stream's status (state, cursor, lag, last error). Every change is recorded in the
/// tenant's own log (<c>stream.create|update|pause|resume|delete</c>, without tokens or secrets), like webhook
/// changes. <c>/v1/streams</c> and the console's Streams page both go through here.
/// </summary>
internal sealed partial class StreamService(
    IWitnessStore store, IStreamStore streams, SecretProtector protector, StreamDeliveryService delivery, StreamDestinations destinations,
    SystemEvents events, WitnessServerOptions options)
{
    /// <summary>The fields of a stream, as the API spells them.</summary>
    public static readonly string[] Fields =
        ["name", "kind", "url", "format", "token", "secret", "ca_pem", "pinned_sha256", "types", "categories", "query", "start_seq", "start_time"];

    private TimeProvider Clock => options.Clock;

    public Task<IReadOnlyList<LogStream>> ListAsync(string tenant, CancellationToken ct) => streams.ListStreamsAsync(tenant, ct);

    public Task<LogStream?> FindAsync(string tenant, string id, CancellationToken ct) => streams.FindStreamAsync(tenant, id, ct);

    /// <summary>Creates the stream, or names every field that is wrong (nothing saved).</summary>
    public async Task<ChangeResult<SavedStream>> CreateAsync(TenantScope scope, StreamRequest request, CancellationToken ct)
    {
        var errors = Validate(request, null);
        if (errors.Count > 0)
        {
            return ChangeResult<SavedStream>.Invalid(errors);
        }

        var now = Clock.GetUtcNow();
        var newSecret = request.Kind == StreamKinds.Http ? request.Secret ?? WebhookSignature.NewSecret() : null;
        var secret = request.Kind == StreamKinds.SplunkHec ? request.Token : newSecret;
        var head = (await store.GetFrontierAsync(scope.Tenant, ct))?.Size ?? 0;
        var start = request.StartSeq is { } seq ? Math.Min(seq - 1, head)
            : request.StartTime is { } time ? await LastSeqBeforeAsync(scope.Tenant, Rfc3339.TryParse(time, out var from) ? from : default, head, ct)
            : head;
        var stream = Build(scope.Tenant, null, request, secret) with
        {
            Id = "st_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)),
            CreatedAt = now,
            UpdatedAt = now,
            Progress = new StreamProgress { DeliveredSeq = start },
        };
        await streams.CreateStreamAsync(stream, ct);
        delivery.PollNow();
        await ConfigurationChanges.StreamAsync(events, scope.Tenant, ConfigurationActions.StreamCreate, null, stream,
            new JsonObject { ["start_seq"] = stream.Progress.DeliveredSeq + 1 }, scope.Actor, scope.Request, ct);
        return ChangeResult<SavedStream>.Saved(new SavedStream(stream, newSecret));
    }

    /// <summary>Replaces the stream's definition (its kind stays; a token or secret left out is kept); the cursor stays where it is.</summary>
    public async Task<ChangeResult<SavedStream>> ReplaceAsync(TenantScope scope, string id, StreamRequest request, CancellationToken ct)
    {
        var existing = await streams.FindStreamAsync(scope.Tenant, id, ct);
        if (existing is null)
        {
            return ChangeResult<SavedStream>.Missing;
        }

        var errors = Validate(request, existing);
        if (errors.Count > 0)
        {
            return ChangeResult<SavedStream>.Invalid(errors);
        }

        var newSecret = existing.Kind == StreamKinds.Http ? request.Secret : null;
        var secret = existing.Kind == StreamKinds.SplunkHec ? request.Token : newSecret;
        var stream = Build(scope.Tenant, existing, request, secret);
        if (await SaveAsync(stream, ct) is not { } saved)
        {
            return ChangeResult<SavedStream>.Missing;
        }

        await ConfigurationChanges.StreamAsync(events, scope.Tenant, ConfigurationActions.StreamUpdate, existing, saved,
            new JsonObject { ["secret_replaced"] = secret is not null }, scope.Actor, scope.Request, ct);
        return ChangeResult<SavedStream>.Saved(new SavedStream(saved, newSecret));
    }

    /// <summary>Pauses or resumes delivery; the cursor stays, so a resumed stream goes on from where it was. Null when there is no such stream.</summary>
    public async Task<LogStream?> SetPausedAsync(TenantScope scope, string id, bool paused, CancellationToken ct)
    {
        var existing = await streams.FindStreamAsync(scope.Tenant, id, ct);
        if (existing is null || existing.Paused == paused)
        {
            return existing;
        }

        var saved = await SaveAsync(existing with { Paused = paused }, ct);
        if (saved is not null)
        {
            await ConfigurationChanges.StreamAsync(events, scope.Tenant, paused ? ConfigurationActions.StreamPause : ConfigurationActions.StreamResume, existing, saved,
                null, scope.Actor, scope.Request, ct);
        }

        return saved;
    }

    /// <summary>Deletes the stream and its cursor and records the deletion; false when the tenant has no such stream.</summary>
    public async Task<bool> DeleteAsync(TenantScope scope, string id, CancellationToken ct)
    {
        var existing = await streams.FindStreamAsync(scope.Tenant, id, ct);
        if (existing is null || !await streams.DeleteStreamAsync(scope.Tenant, id, ct))
        {
            return false;
        }

        await delivery.StopAsync(id);
        await ConfigurationChanges.StreamAsync(events, scope.Tenant, ConfigurationActions.StreamDelete, existing, null, null, scope.Actor, scope.Request, ct);
        return true;
    }

    /// <summary>
    /// Sends one test event (seq 0, a zero hash, action <c>stream.test</c>; it is not in the log) to the
    /// stream's destination now and answers the error, or null when it was delivered.
    /// </summary>
    public async Task<string?> SendTestAsync(TenantScope scope, LogStream stream, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        var e = new AuditEvent
        {
            Id = "test_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Tenant = stream.Tenant,
            Seq = 0,
            ReceivedAt = EventParser.Truncate(now),
            OccurredAt = EventParser.Truncate(now),
            Type = LogTypes.Activity,
            Action = "stream.test",
            Category = "Log streams",
            Actor = scope.Actor,
            Outcome = Outcomes.Success,
            Description = $"Test event of log stream {stream.Name}",
        };
        var body = CanonicalEvent.Write(e);
        var record = new StreamRecord(0, body, new byte[32], e);
        try
        {
            await using var destination = await destinations.OpenAsync(stream, -1, ct);
            await destination.SendAsync(new StreamBatch([record], 0), ct);
            if (stream.Kind == StreamKinds.Syslog)
            {
                await Task.Delay(options.Streams.SyslogConfirmAfter, Clock, ct);
                if (await destination.ConfirmAsync(ct) < 0)
                {
                    return "the receiver did not keep the connection open";
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return ex.InnerException is { } inner && inner.Message != ex.Message ? $"{ex.Message}: {inner.Message}" : ex.Message;
        }
    }

    /// <summary>The stream's status now: state, cursor, lag behind the tenant's log in events and seconds, last error.</summary>
    public async Task<StreamStatus> StatusAsync(LogStream stream, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        var head = (await store.GetFrontierAsync(stream.Tenant, ct))?.Size ?? 0;
        var p = stream.Progress;
        var lagEvents = Math.Max(0, head - p.DeliveredSeq);
        double lagSeconds = 0;
        if (lagEvents > 0 && await store.FindBySeqAsync(stream.Tenant, p.DeliveredSeq + 1, ct) is { } oldest)
        {
            lagSeconds = Math.Max(0, Math.Round((now - oldest.Event.ReceivedAt).TotalSeconds, 3));
        }

        var state = stream.Paused ? "paused"
            : p.FailingSince is not null ? "failing"
            : stream.LeaseUntil > now ? "delivering"
            : "starting";
        return new StreamStatus(state, p.DeliveredSeq, p.DeliveredAt, lagEvents, lagSeconds, p.LastError, p.LastErrorAt, p.FailingSince,
            stream.LeaseUntil > now ? stream.LeaseOwner : null);
    }

    private async Task<LogStream?> SaveAsync(LogStream stream, CancellationToken ct)
    {
        stream = stream with { UpdatedAt = Max(Clock.GetUtcNow(), stream.UpdatedAt.AddMilliseconds(1)) };
        if (!await streams.UpdateStreamAsync(stream, ct))
        {
            return null;
        }

        // This instance stops it now; another instance holding it sees the change when it renews its lease.
        await delivery.StopAsync(stream.Id);
        delivery.PollNow();
        return await streams.FindStreamAsync(stream.Tenant, stream.Id, ct);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private LogStream Build(string tenant, LogStream? existing, StreamRequest r, string? newSecret) => new()
    {
        Id = existing?.Id ?? "",
        Tenant = tenant,
        Name = r.Name!.Trim(),
        Kind = existing?.Kind ?? r.Kind!,
        Url = r.Url!,
        Format = r.Format ?? StreamFormats.Witness,
        Secret = newSecret is not null ? protector.Protect(newSecret) : existing?.Secret,
        CaPem = r.CaPem,
        PinnedSha256 = r.PinnedSha256?.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant(),
        Types = [.. (r.Types ?? []).Distinct().Select(t => t!)],
        Categories = [.. (r.Categories ?? []).Distinct().Select(c => c!)],
        Query = r.Query?.Trim() ?? "",
        Paused = existing?.Paused ?? false,
        CreatedAt = existing?.CreatedAt ?? default,
        UpdatedAt = existing?.UpdatedAt ?? default,
        Progress = existing?.Progress ?? new StreamProgress(),
    };

    /// <summary>The last seq received before <paramref name="time"/> (0 when none): events are received in seq order, so a binary search finds it.</summary>
    private async Task<long> LastSeqBeforeAsync(string tenant, DateTimeOffset time, long head, CancellationToken ct)
    {
        long low = 1, high = head + 1;
        while (low < high)
        {
            var mid = low + ((high - low) / 2);
            var e = await store.FindBySeqAsync(tenant, mid, ct);
            // A purged event was received before every remaining one.
            if (e is null || e.Event.ReceivedAt < time)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low - 1;
    }

    private static List<ValidationError> Validate(StreamRequest r, LogStream? existing)
    {
        var errors = new List<ValidationError>();
        foreach (var field in r.UnknownFields)
        {
            errors.Add(new(field, $"unknown field; the fields are {string.Join(", ", Fields)}"));
        }

        if (r.WrongType.Contains("name") || string.IsNullOrWhiteSpace(r.Name) || r.Name.Trim().Length > 100 || r.Name.Any(char.IsControl))
        {
            errors.Add(new("name", "is required: 1 to 100 characters, no control characters"));
        }

        var kind = existing?.Kind ?? r.Kind;
        if (existing is not null && r.Kind is not null && r.Kind != existing.Kind)
        {
            errors.Add(new("kind", $"cannot be changed (the stream is {existing.Kind}); create another stream"));
        }
        else if (kind is null || !StreamKinds.All.Contains(kind))
        {
            errors.Add(new("kind", $"is required: one of {string.Join(", ", StreamKinds.All)}"));
            kind = null;
        }

        if (r.Format is not null && !StreamFormats.All.Contains(r.Format) || r.WrongType.Contains("format"))
        {
            errors.Add(new("format", $"must be one of {string.Join(", ", StreamFormats.All)} (default witness)"));
        }

        var tls = false;
        if (r.Url is null || r.WrongType.Contains("url"))
        {
            errors.Add(new("url", kind == StreamKinds.Syslog ? "is required: tcp://host:port or tls://host:port" : "is required: an absolute https or http URL"));
        }
        else if (kind == StreamKinds.Syslog)
        {
            if (r.Url.Length > 2000 || !Uri.TryCreate(r.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("tcp" or "tls") || uri.Host.Length == 0
                || uri.IsDefaultPort || uri.Port is < 1 or > 65535 || uri.UserInfo.Length > 0 || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                errors.Add(new("url", "must be tcp://host:port or tls://host:port (no path), at most 2000 characters"));
            }
            else
            {
                tls = uri.Scheme == "tls";
            }
        }
        else if (kind is not null && (r.Url.Length > 2000 || !Uri.TryCreate(r.Url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0))
        {
            errors.Add(new("url", "must be an absolute https or http URL of at most 2000 characters, without user info or fragment"));
        }

        if (r.WrongType.Contains("token") || (r.Token is not null && (kind != StreamKinds.SplunkHec || r.Token.Length is 0 or > 200 || r.Token.Any(c => c <= ' ' || c == 127))))
        {
            errors.Add(new("token", "is the Splunk HEC token of a splunk_hec stream: 1 to 200 characters without spaces"));
        }
        else if (kind == StreamKinds.SplunkHec && r.Token is null && existing is null)
        {
            errors.Add(new("token", "is required for splunk_hec: the HTTP Event Collector token"));
        }

        if (r.WrongType.Contains("secret") || (r.Secret is not null && (kind != StreamKinds.Http || !WebhookSignature.IsValidSecret(r.Secret))))
        {
            errors.Add(new("secret", "is the signing secret of an http stream: whsec_ followed by the base64 of 24 to 64 random bytes, or left out to have one generated"));
        }

        if (r.WrongType.Contains("ca_pem") || (r.CaPem is not null && (!tls || r.CaPem.Length > 65536 || !HoldsCertificates(r.CaPem))))
        {
            errors.Add(new("ca_pem", "is for tls:// syslog streams: the PEM text (at most 64 KiB) of the CA certificates that sign the receiver's certificate"));
        }

        if (r.WrongType.Contains("pinned_sha256") || (r.PinnedSha256 is not null && (!tls || !PinnedPattern().IsMatch(r.PinnedSha256))))
        {
            errors.Add(new("pinned_sha256", "is for tls:// syslog streams: the SHA-256 of the receiver's certificate as 64 hex digits (colons allowed)"));
        }
        else if (r.PinnedSha256 is not null && r.CaPem is not null)
        {
            errors.Add(new("pinned_sha256", "give either ca_pem or pinned_sha256, not both"));
        }

        CheckList(errors, "types", r.WrongType.Contains("types"), r.Types, t => LogTypes.All.Contains(t), $"must be one of {string.Join(", ", LogTypes.All)}");
        CheckList(errors, "categories", r.WrongType.Contains("categories"), r.Categories, c => c.Length is >= 1 and <= 128 && !c.Any(char.IsControl), "must be a category name of 1 to 128 characters");
        if (r.WrongType.Contains("query") || r.Query?.Length > 2000)
        {
            errors.Add(new("query", "must be a search in the search language (README, Searching) of at most 2000 characters"));
        }
        else if (!string.IsNullOrWhiteSpace(r.Query))
        {
            try
            {
                SearchQueryParser.Parse(r.Query, TimeZoneInfo.Utc);
            }
            catch (SearchSyntaxException ex)
            {
                errors.Add(new("query", ex.Message));
            }
        }

        if (existing is not null && (r.StartSeq is not null || r.StartTime is not null || r.WrongType.Contains("start_seq") || r.WrongType.Contains("start_time")))
        {
            errors.Add(new(r.StartSeq is not null || r.WrongType.Contains("start_seq") ? "start_seq" : "start_time", "is given only when the stream is created"));
        }
        else
        {
            if (r.WrongType.Contains("start_seq") || r.StartSeq < 1)
            {
                errors.Add(new("start_seq", "must be a whole number of at least 1: the first seq to deliver"));
            }

            if (r.WrongType.Contains("start_time") || (r.StartTime is not null && !Rfc3339.TryParse(r.StartTime, out _)))
            {
                errors.Add(new("start_time", "must be an RFC 3339 time such as 2026-01-01T00:00:00Z: deliver the events received from then on"));
            }
            else if (r.StartTime is not null && r.StartSeq is not null)
            {
                errors.Add(new("start_time", "give either start_seq or start_time, not both"));
            }
        }

        return errors;
    }

    private static void CheckList(List<ValidationError> errors, string field, bool wrongType, IReadOnlyList<string?>? values, Func<string, bool> valid, string message)
    {
        if (wrongType)
        {
            errors.Add(new(field, "must be an array of strings"));
            return;
        }

        if (values is null)
        {
            return;
        }

        if (values.Count > 100)
        {
            errors.Add(new(field, "holds at most 100 values"));
            return;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is not { } value || !valid(value))
            {
                errors.Add(new($"{field}[{i}]", message));
            }
        }
    }

    private static bool HoldsCertificates(string pem)
    {
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPem(pem);
            var any = certificates.Count > 0;
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }

            return any;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    [GeneratedRegex("^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$")]
    private static partial Regex PinnedPattern();
}

/// <summary>A stream as saved, with the http signing secret set by this change (shown once), or null.</summary>
internal sealed record SavedStream(LogStream Stream, string? NewSecret);

/// <summary>What a stream's delivery came to: see <see cref="StreamService.StatusAsync"/>.</summary>
public sealed record StreamStatus(
    string State, long DeliveredSeq, DateTimeOffset? DeliveredAt, long LagEvents, double LagSeconds, string? LastError, DateTimeOffset? LastErrorAt,
    DateTimeOffset? FailingSince, string? Instance);
