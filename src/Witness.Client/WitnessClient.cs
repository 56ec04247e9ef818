using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Witness.Client;

/// <summary>
/// The Witness HTTP API (README, <c>GET /openapi/v1.json</c>) as a typed client. Get it from DI after
/// <see cref="WitnessServiceCollectionExtensions.AddWitnessClient"/>: its <see cref="HttpClient"/> comes from
/// <c>IHttpClientFactory</c> with the standard resilience handler, so transient failures are retried; that is
/// safe for sends because every event carries an id. Every method throws <see cref="WitnessApiException"/>
/// when Witness answers with an error, and <see cref="HttpRequestException"/> when it cannot be reached.
/// Thread-safe.
/// </summary>
public sealed class WitnessClient
{
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;

    public WitnessClient(HttpClient http, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Sends one event; fills in its id (and occurred_at) first when empty.</summary>
    public async Task<SentEvent> SendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return (await SendAsync([auditEvent], cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Sends events as one all-or-nothing batch (at most 1,000); fills in empty ids and occurred_at first.
    /// Sending the same events again stores nothing new: the answer then says <c>existing</c> (or no status, from older servers).
    /// </summary>
    public async Task<IReadOnlyList<SentEvent>> SendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return [];
        }

        foreach (var e in events)
        {
            Stamp(e, _clock);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new EventBatch([.. events]), ClientJson.Default.EventBatch);
        return await SendSerializedAsync(body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Posts an already serialized <c>{"events":[…]}</c> body: what the spool and outbox replay.</summary>
    internal async Task<IReadOnlyList<SentEvent>> SendSerializedAsync(byte[] batchBody, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(batchBody);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync("v1/events", content, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        return ReadSent(json.RootElement);
    }

    /// <summary>
    /// Every event matching <paramref name="query"/>, newest first, fetched page by page as enumeration goes on
    /// (the server's cursors), so a search of any size runs in constant memory.
    /// </summary>
    public async IAsyncEnumerable<AuditEvent> SearchAsync(EventQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        query ??= new EventQuery();
        string? cursor = null;
        do
        {
            var parameters = query.Parameters().ToList();
            parameters.Add(new("limit", (query.PageSize ?? 200).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (cursor is not null)
            {
                parameters.Add(new("cursor", cursor));
            }

            using var response = await _http.GetAsync("v1/events" + QueryString(parameters), cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            var page = await response.Content.ReadFromJsonAsync(ClientJson.Default.EventPage, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException("Witness answered a search with an empty body.");
            foreach (var e in page.Events)
            {
                yield return e;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    /// <summary>One event with every field, or null when the tenant has no event with that id.</summary>
    public async Task<AuditEvent?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        using var response = await _http.GetAsync("v1/events/" + Uri.EscapeDataString(id), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(ClientJson.Default.AuditEvent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams an export (<c>csv</c>, <c>json</c>, <c>ndjson</c> or <c>pdf</c>) of the matching events into <paramref name="destination"/>, in constant memory.</summary>
    public async Task ExportAsync(string format, Stream destination, EventQuery? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(format);
        ArgumentNullException.ThrowIfNull(destination);
        var parameters = (query ?? new EventQuery()).Parameters().Prepend(new("format", format));
        using var response = await _http.GetAsync("v1/events/export" + QueryString(parameters), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var bodyLifetime = body.ConfigureAwait(false);
        await body.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The event's inclusion proof against the tenant's latest checkpoint. Check it with <see cref="WitnessVerifier"/>.</summary>
    public Task<InclusionProof> GetProofAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return GetJsonAsync("v1/events/" + Uri.EscapeDataString(id) + "/proof", ClientJson.Default.InclusionProof, cancellationToken);
    }

    /// <summary>The tenant's latest signed checkpoint. Check it with <see cref="WitnessVerifier"/>.</summary>
    public Task<SignedCheckpoint> GetLatestCheckpointAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync("v1/checkpoints/latest", ClientJson.Default.SignedCheckpoint, cancellationToken);

    /// <summary>The consistency proof between tree sizes <paramref name="from"/> and <paramref name="to"/>.</summary>
    public Task<ConsistencyProof> GetConsistencyProofAsync(long from, long to, CancellationToken cancellationToken = default) =>
        GetJsonAsync(FormattableString.Invariant($"v1/checkpoints/consistency?from={from}&to={to}"), ClientJson.Default.ConsistencyProof, cancellationToken);

    /// <summary>
    /// The PEM key the server says signs its checkpoints. Pin it (configuration, not this call) for verification:
    /// a key fetched from the server that is being checked proves nothing.
    /// </summary>
    public async Task<string> GetPublicKeyPemAsync(CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync("v1/public-key", cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static void Stamp(AuditEvent e, TimeProvider clock)
    {
        if (e.Id is not null && e.OccurredAt is not null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        e.Id ??= NewId(now);
        e.OccurredAt ??= now;
    }

    /// <summary>
    /// A UUIDv7 (48 bits of Unix milliseconds, 74 random bits) as 32 lower-case hex digits, the form
    /// <c>Guid.CreateVersion7().ToString("N")</c> gives. The random bits come from <see cref="Random.Shared"/>, not the
    /// operating system's generator: an id only has to be unique, and <c>Guid.NewGuid</c> costs a system call per event
    /// (getrandom), which made it most of <see cref="IAuditLog.Record"/>'s time.
    /// </summary>
    internal static string NewId(DateTimeOffset now)
    {
        Span<byte> bytes = stackalloc byte[16];
        NewIdBytes(now, bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The same id written as its 32 UTF-8 hex digits into <paramref name="utf8"/>, without a string.</summary>
    internal static void NewId(DateTimeOffset now, Span<byte> utf8)
    {
        Span<byte> bytes = stackalloc byte[16];
        NewIdBytes(now, bytes);
        Convert.TryToHexStringLower(bytes, utf8, out _);
    }

    private static void NewIdBytes(DateTimeOffset now, Span<byte> bytes)
    {
        Random.Shared.NextBytes(bytes[6..]);
        var milliseconds = now.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)milliseconds;
            milliseconds >>= 8;
        }

        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
    }

    private async Task<T> GetJsonAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(path, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
            ?? throw new JsonException($"Witness answered {path} with an empty body.");
    }

    // Accepts {"events":[{id,seq,hash[,status]}…]}, and the single stored event older servers answer to a repeated single send.
    private static List<SentEvent> ReadSent(JsonElement root)
    {
        var items = root.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array
            ? events.EnumerateArray().ToList()
            : [root];
        return [.. items.Select(e => new SentEvent(
            e.GetProperty("id").GetString()!,
            e.GetProperty("seq").GetInt64(),
            e.TryGetProperty("hash", out var hash) ? hash.GetString() : null,
            e.TryGetProperty("status", out var status) ? status.GetString() : null))];
    }

    private static string QueryString(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in parameters)
        {
            text.Append(text.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return text.ToString();
    }

    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ProblemBody? problem = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (text.Length > 0)
            {
                problem = JsonSerializer.Deserialize(text, ClientJson.Default.ProblemBody);
            }
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's error page): the status code is all there is.
        }

        throw new WitnessApiException(response.StatusCode, problem?.Type, problem?.Title ?? response.ReasonPhrase, problem?.Detail, problem?.Instance, [.. problem?.Errors ?? []]);
    }
}
