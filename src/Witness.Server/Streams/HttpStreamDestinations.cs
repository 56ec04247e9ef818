using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Witness.Server.Webhooks;
using Witness.Streams;

namespace Witness.Server.Streams;

/// <summary>
/// <c>http</c>: each batch as NDJSON (one record a line), gzip, POSTed and signed as Standard Webhooks
/// with the stream's secret; <c>webhook-id</c> names the seq range, so a batch sent again after a failure
/// carries the same id. The client is the webhooks' SSRF-guarded one (<see cref="WebhookHttpClient"/>).
/// A 2xx answer confirms the batch.
/// </summary>
internal sealed class NdjsonDestination(HttpClient http, LogStream stream, TimeProvider clock, long confirmed) : IStreamDestination
{
    private long _confirmed = confirmed;

    public async Task<long> SendAsync(StreamBatch batch, CancellationToken ct)
    {
        if (batch.Records.Count > 0)
        {
            using var body = new MemoryStream();
            await using (var gzip = new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true))
            {
                foreach (var record in batch.Records)
                {
                    gzip.Write(StreamRecordFormats.Format(stream.Format, record));
                    gzip.WriteByte((byte)'\n');
                }
            }

            var payload = body.ToArray();
            var messageId = $"{stream.Id}_{batch.Records[0].Seq}-{batch.Records[^1].Seq}";
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, stream.Url) { Content = new ByteArrayContent(payload) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            request.Content.Headers.ContentEncoding.Add("gzip");
            request.Headers.Add("webhook-id", messageId);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", WebhookSignature.Sign(stream.Secret!, messageId, timestamp, payload));
            request.Headers.UserAgent.ParseAdd("Witness-Streams/1");
            await StreamHttp.SendAsync(http, request, ct);
        }

        return _confirmed = batch.ThroughSeq;
    }

    public Task<long> ConfirmAsync(CancellationToken ct) => Task.FromResult(_confirmed);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// <c>splunk_hec</c>: each batch as HEC event objects one after another, POSTed to
/// <c>/services/collector/event</c> (appended when the stream's URL has no path) with
/// <c>Authorization: Splunk &lt;token&gt;</c>. A JSON format is the <c>event</c> object, CEF its string;
/// tenant, seq and hash are indexed <c>fields</c>.
/// </summary>
internal sealed class SplunkHecDestination(HttpClient http, LogStream stream, long confirmed) : IStreamDestination
{
    private readonly Uri _endpoint = EndpointOf(stream.Url);
    private readonly string _host = System.Net.Dns.GetHostName();
    private long _confirmed = confirmed;

    public static Uri EndpointOf(string url)
    {
        var uri = new Uri(url);
        return uri.AbsolutePath is "" or "/" ? new Uri(uri, "/services/collector/event") : uri;
    }

    public async Task<long> SendAsync(StreamBatch batch, CancellationToken ct)
    {
        if (batch.Records.Count > 0)
        {
            using var body = new MemoryStream();
            using (var w = new Utf8JsonWriter(body))
            {
                foreach (var record in batch.Records)
                {
                    w.WriteStartObject();
                    w.WriteNumber("time", record.Event.OccurredAt.ToUnixTimeMilliseconds() / 1000m);
                    w.WriteString("host", _host);
                    w.WriteString("source", "witness");
                    w.WriteString("sourcetype", "witness:" + stream.Format);
                    var formatted = StreamRecordFormats.Format(stream.Format, record);
                    w.WritePropertyName("event");
                    if (StreamRecordFormats.IsJson(stream.Format))
                    {
                        w.WriteRawValue(formatted, skipInputValidation: true);
                    }
                    else
                    {
                        w.WriteStringValue(Encoding.UTF8.GetString(formatted));
                    }

                    w.WriteStartObject("fields");
                    w.WriteString("tenant", record.Event.Tenant);
                    w.WriteString("seq", record.Seq.ToString(CultureInfo.InvariantCulture));
                    w.WriteString("hash", record.HashHex);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.Flush();
                    w.Reset();
                    body.WriteByte((byte)'\n');
                }
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body.ToArray()) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Splunk", stream.Secret);
            request.Headers.UserAgent.ParseAdd("Witness-Streams/1");
            await StreamHttp.SendAsync(http, request, ct);
        }

        return _confirmed = batch.ThroughSeq;
    }

    public Task<long> ConfirmAsync(CancellationToken ct) => Task.FromResult(_confirmed);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal static class StreamHttp
{
    /// <summary>Sends the request; anything but a 2xx throws with the status, and a body of an error answer adds at most 200 characters of it.</summary>
    public static async Task SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            text = new string([.. text.Take(200).Select(c => char.IsControl(c) ? ' ' : c)]);
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase} {text}".TrimEnd(), null, response.StatusCode);
        }
    }
}
