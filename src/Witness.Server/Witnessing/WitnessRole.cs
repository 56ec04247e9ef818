using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Witness.Integrity;

namespace Witness.Server.Witnessing;

/// <summary>How a <c>witness witness</c> server runs.</summary>
internal sealed class WitnessRoleOptions
{
    /// <summary>Its own folder: the Ed25519 key (<see cref="KeyFile"/>) and what it cosigned (<see cref="WitnessedLogs.StateFile"/>).</summary>
    public string DataDirectory { get; set; } = "witness-witness-data";

    /// <summary>The witness's key name, such as <c>witness.example.org/w1</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The JSON file of the logs it witnesses with their verifier keys.</summary>
    public string ConfigFile { get; set; } = "";

    public string Urls { get; set; } = "http://127.0.0.1:5090";

    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>The witness key file inside the data folder.</summary>
    public const string KeyFile = "witness-key.pem";
}

/// <summary>
/// A C2SP tlog-witness server: <c>POST /add-checkpoint</c> cosigns (C2SP tlog-cosignature, <c>cosignature/v1</c>)
/// a checkpoint of a log it witnesses only when it is a consistent extension of the last one it cosigned.
/// </summary>
internal static class WitnessRole
{
    private const int MaxBody = 64 * 1024;

    /// <exception cref="FormatException">The configuration or state is malformed.</exception>
    public static WebApplication Build(WitnessRoleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(options.DataDirectory);
        var key = Ed25519NoteKey.LoadOrCreate(Path.Combine(options.DataDirectory, WitnessRoleOptions.KeyFile), options.Name);
        var logs = WitnessedLogs.Load(options.ConfigFile, options.DataDirectory, key, options.Clock);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSingleton(logs);
        var app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapPost("/add-checkpoint", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, new System.Text.UTF8Encoding(false, true));
            var buffer = new char[MaxBody + 1];
            int read;
            try
            {
                read = await reader.ReadBlockAsync(buffer, context.RequestAborted);
            }
            catch (System.Text.DecoderFallbackException)
            {
                return Results.Text("the body is not UTF-8\n", "text/plain; charset=utf-8", statusCode: 400);
            }

            if (read > MaxBody)
            {
                return Results.Text("the body is larger than 64 KiB\n", "text/plain; charset=utf-8", statusCode: 413);
            }

            var (status, contentType, body) = logs.AddCheckpoint(new string(buffer, 0, read));
            return Results.Text(body, contentType, statusCode: status);
        });
        return app;
    }
}
