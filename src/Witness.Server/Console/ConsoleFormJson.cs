using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Witness.Server.Console;

/// <summary>Turns a settings form, gathered as a <see cref="JsonObject"/>, into the JSON the API's validation reads.</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class ConsoleFormJson : JsonSerializerContext;
