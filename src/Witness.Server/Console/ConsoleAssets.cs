using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Witness.Server.Console;

/// <summary>
/// The console's stylesheet and script, embedded in the assembly and served at
/// <c>/console/assets/{name}</c>. Pages link them with a content hash in the URL, so browsers may
/// keep them for a year and still never run an old copy.
/// </summary>
internal sealed class ConsoleAssets
{
    private readonly Dictionary<string, (byte[] Content, string ContentType, string Version)> _assets = new(StringComparer.Ordinal);

    public ConsoleAssets()
    {
        Add("console.css", "text/css; charset=utf-8");
        Add("console.js", "text/javascript; charset=utf-8");
    }

    /// <summary>The URL of an asset, versioned by its content.</summary>
    public string Url(string name) => $"/console/assets/{name}?v={_assets[name].Version}";

    public IResult Serve(string name, HttpContext context)
    {
        if (!_assets.TryGetValue(name, out var asset))
        {
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private void Add(string name, string contentType)
    {
        using var stream = typeof(ConsoleAssets).Assembly.GetManifestResourceStream($"console/{name}")
            ?? throw new InvalidOperationException($"the console asset '{name}' is not embedded in the assembly");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var content = buffer.ToArray();
        _assets[name] = (content, contentType, Convert.ToHexStringLower(SHA256.HashData(content))[..12]);
    }
}
