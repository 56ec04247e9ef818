using System.Net;
using System.Net.Sockets;

namespace Witness.Server.Webhooks;

/// <summary>
/// The HTTP client deliveries use, guarded against server-side request forgery: no proxy, no
/// redirects, and a connect step that resolves the host itself, refuses it when any of its
/// addresses is not public (<see cref="WebhookAddressPolicy"/>) unless the host is on the
/// operator's allow-list, and then connects to exactly the addresses it checked, so a second DNS
/// answer cannot swap in another.
/// </summary>
internal static class WebhookHttpClient
{
    /// <param name="allowedHosts">Host names or IP literals allowed although not public (case-insensitive).</param>
    /// <param name="timeout">How long one request may take.</param>
    public static HttpClient Create(IEnumerable<string> allowedHosts, TimeSpan timeout)
    {
        var allowed = new HashSet<string>(allowedHosts.Select(Unbracket), StringComparer.OrdinalIgnoreCase);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectTimeout = timeout,
            ConnectCallback = (context, ct) => ConnectAsync(context.DnsEndPoint, allowed, ct),
        };
        return new HttpClient(handler) { Timeout = timeout };
    }

    private static async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, HashSet<string> allowed, CancellationToken ct)
    {
        var host = Unbracket(endpoint.Host);
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        if (!allowed.Contains(host) && addresses.FirstOrDefault(a => !WebhookAddressPolicy.IsPublic(a)) is { } refused)
        {
            throw new WebhookAddressRefusedException(host, refused);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Unbracket(string host) => host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
}
