using Witness.Server.Secrets;
using Witness.Server.Webhooks;
using Witness.Streams;

namespace Witness.Server.Streams;

/// <summary>Opens a stream's destination by its kind, with its secret unsealed; HTTP kinds share one SSRF-guarded client.</summary>
internal sealed class StreamDestinations(WitnessServerOptions options, SecretProtector protector) : IDisposable
{
    private readonly HttpClient _http = WebhookHttpClient.Create(options.WebhookAllowedHosts, options.Streams.Timeout);

    public async Task<IStreamDestination> OpenAsync(LogStream stream, long confirmed, CancellationToken ct)
    {
        var unsealed = stream.Secret is { } secret ? stream with { Secret = protector.Unprotect(secret) } : stream;
        return unsealed.Kind switch
        {
            StreamKinds.Syslog => await SyslogDestination.ConnectAsync(unsealed, options.Streams, [.. options.WebhookAllowedHosts], options.Clock, confirmed, ct),
            StreamKinds.Http => new NdjsonDestination(_http, unsealed, options.Clock, confirmed),
            StreamKinds.SplunkHec => new SplunkHecDestination(_http, unsealed, confirmed),
            _ => throw new InvalidOperationException($"unknown stream kind '{stream.Kind}'"),
        };
    }

    public void Dispose() => _http.Dispose();
}
