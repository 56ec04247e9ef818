using System.Net;

namespace Witness.Server.Webhooks;

/// <summary>A webhook host resolved to an address deliveries may not reach (<see cref="WebhookAddressPolicy"/>), and it is not on the operator's allow-list.</summary>
internal sealed class WebhookAddressRefusedException(string host, IPAddress address)
    : Exception($"refused to connect to '{host}': it resolves to {address}, which is not a public address (allow it with --webhook-allow-host {host})")
{
    public string Host { get; } = host;
    public IPAddress Address { get; } = address;
}
