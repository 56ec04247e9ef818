using System.Text.Json.Serialization;
using Witness.Server.Apis;

namespace Witness.Server.Http;

/// <summary>Source-generated JSON for every response shape that is not an event (events are written from their canonical bytes).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(AppendResponse))]
[JsonSerializable(typeof(VerifyResponse))]
[JsonSerializable(typeof(CheckpointResponse))]
[JsonSerializable(typeof(PublicKeysResponse))]
[JsonSerializable(typeof(ProofResponse))]
[JsonSerializable(typeof(ConsistencyResponse))]
[JsonSerializable(typeof(SettingsResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ActionResponse))]
[JsonSerializable(typeof(ActionListResponse))]
[JsonSerializable(typeof(FacetsResponse))]
[JsonSerializable(typeof(ViewerTokenResponse))]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(EraseResponse))]
internal sealed partial class WitnessJson : JsonSerializerContext
{
    /// <summary>The context every response uses: text stays readable (no \u0027 for an apostrophe); nothing here is written into HTML.</summary>
    public static WitnessJson Api { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new UtcTimeJsonConverter() },
    });
}
