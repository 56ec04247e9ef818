using System.IO.Compression;
using System.Net;
using System.Net.Sockets;

namespace Witness.Server.Tests.Streams;

internal static class StreamTestSupport
{
    /// <summary>A loopback port nothing listens on (taken and given back at once).</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static byte[] Gunzip(byte[] body)
    {
        using var input = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
