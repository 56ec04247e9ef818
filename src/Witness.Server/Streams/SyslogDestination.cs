using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Witness.Server.Webhooks;
using Witness.Streams;

namespace Witness.Server.Streams;

/// <summary>
/// RFC 5424 over TCP with octet-counting framing, or over TLS (<c>tls://</c>) checked against the
/// stream's CA certificates or pinned certificate (else the system's trust store). The host is resolved
/// once and must pass the webhooks' address policy (<see cref="WebhookAddressPolicy"/>) unless the operator
/// allowed it. A batch is confirmed once the connection is still open <see cref="StreamOptions.SyslogConfirmAfter"/>
/// after it was written: syslog has no acknowledgements, and a receiver that stops closes the connection.
/// </summary>
internal sealed class SyslogDestination : IStreamDestination
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly string _format;
    private readonly string _hostName;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _confirmAfter;
    private readonly Queue<(long ThroughSeq, DateTimeOffset WrittenAt)> _unconfirmed = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(1 << 16);
    private readonly Task _watch;
    private volatile bool _closed;
    private long _confirmed;

    private SyslogDestination(Socket socket, Stream stream, LogStream definition, StreamOptions options, TimeProvider clock, long confirmed)
    {
        _socket = socket;
        _stream = stream;
        _format = definition.Format;
        _hostName = SyslogMessage.HostName(Dns.GetHostName());
        _clock = clock;
        _confirmAfter = options.SyslogConfirmAfter;
        _confirmed = confirmed;
        _watch = WatchAsync();
    }

    /// <summary>
    /// A syslog receiver never sends application data, so the one read pending on the connection ends only
    /// when the receiver closes or resets it (TLS session tickets and alerts are consumed inside the read).
    /// </summary>
    private async Task WatchAsync()
    {
        var buffer = new byte[256];
        try
        {
            while (await _stream.ReadAsync(buffer) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }

        _closed = true;
    }

    public static async Task<SyslogDestination> ConnectAsync(LogStream definition, StreamOptions options, IReadOnlyCollection<string> allowedHosts, TimeProvider clock, long confirmed, CancellationToken ct)
    {
        var uri = new Uri(definition.Url);
        var host = uri.IdnHost;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        if (!allowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase) && addresses.FirstOrDefault(a => !WebhookAddressPolicy.IsPublic(a)) is { } refused)
        {
            throw new WebhookAddressRefusedException(host, refused);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = false };
        try
        {
            using var connecting = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connecting.CancelAfter(options.Timeout);
            await socket.ConnectAsync(addresses, uri.Port, connecting.Token);
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (uri.Scheme == "tls")
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, certificate, chain, errors) => Trusts(definition, certificate, errors));
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, connecting.Token);
                stream = tls;
            }

            return new SyslogDestination(socket, stream, definition, options, clock, confirmed);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A pinned certificate is trusted alone; else a chain to the stream's CA certificates (or the system's) for the host name.</summary>
    private static bool Trusts(LogStream definition, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        if (definition.PinnedSha256 is { } pinned)
        {
            return CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.GetRawCertData()), Convert.FromHexString(pinned));
        }

        if (definition.CaPem is not { } caPem)
        {
            return errors == SslPolicyErrors.None;
        }

        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(caPem);
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var trusted = chain.Build(leaf);
        foreach (var element in chain.ChainElements)
        {
            element.Certificate.Dispose();
        }

        foreach (var root in roots)
        {
            root.Dispose();
        }

        return trusted;
    }

    public async Task<long> SendAsync(StreamBatch batch, CancellationToken ct)
    {
        CheckOpen();
        _buffer.ResetWrittenCount();
        foreach (var record in batch.Records)
        {
            SyslogMessage.WriteFramed(_buffer, _hostName, record, StreamRecordFormats.Format(_format, record));
        }

        if (_buffer.WrittenCount > 0)
        {
            await _stream.WriteAsync(_buffer.WrittenMemory, ct);
            await _stream.FlushAsync(ct);
        }

        _unconfirmed.Enqueue((batch.ThroughSeq, _clock.GetUtcNow()));
        return Confirm();
    }

    public Task<long> ConfirmAsync(CancellationToken ct) => Task.FromResult(Confirm());

    private long Confirm()
    {
        CheckOpen();
        var now = _clock.GetUtcNow();
        while (_unconfirmed.TryPeek(out var sent) && now - sent.WrittenAt >= _confirmAfter)
        {
            _confirmed = sent.ThroughSeq;
            _unconfirmed.Dequeue();
        }

        return _confirmed;
    }

    private void CheckOpen()
    {
        if (_closed)
        {
            throw new IOException("the syslog receiver closed the connection");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
        await _watch;
    }
}
