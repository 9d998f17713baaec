// TypeScript types for the messages, enums and services of one protobuf package, generated from the
// package as protobufjs loaded it. Pure (a string from a reflection tree); `npm run gen` writes the
// result and `npm run check:gen` fails when the committed file differs.
//
// The types describe what protobufjs' `Type.toObject` returns with
// `{ defaults: true, arrays: true, objects: true, longs: Number, enums: Number }`: scalar, repeated
// and map fields are always present; a singular message field is null when absent (typed optional,
// so that values built in code may leave it out); 64-bit integers and enums are numbers (proto3
// enums are open: a newer peer may send values this file does not list). Constructs whose decoded
// shape differs (oneof, proto3 `optional`, nested declarations, streaming methods, types from
// another package) are refused with the path of the offending declaration.
import protobuf from 'protobufjs';

export interface ProtoTypeScriptOptions {
  /** Where the package comes from, for the header (e.g. `proto/nri/api.proto`). */
  source: string;
}

const SCALARS: Readonly<Record<string, string>> = {
  double: 'number',
  float: 'number',
  int32: 'number',
  uint32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  int64: 'number',
  uint64: 'number',
  sint64: 'number',
  fixed64: 'number',
  sfixed64: 'number',
  bool: 'boolean',
  string: 'string',
  bytes: 'Uint8Array',
};

/** The TypeScript type of one value of `field` (without repeated/map wrapping). */
function valueType(field: protobuf.FieldBase, pkg: protobuf.Namespace, at: string): string {
  const scalar = SCALARS[field.type];
  if (scalar !== undefined) return scalar;
  const resolved = field.resolvedType;
  if (resolved === null) throw new Error(`${at}: type ${field.type} is not resolved`);
  if (resolved.parent !== pkg) {
    throw new Error(`${at}: type ${resolved.fullName} is outside package ${pkg.fullName.slice(1)}`);
  }
  return resolved instanceof protobuf.Enum ? 'number' : resolved.name;
}

function fieldLine(field: protobuf.FieldBase, pkg: protobuf.Namespace, at: string): string {
  if (field.partOf !== null) {
    throw new Error(`${at}: oneof and proto3 optional fields are not supported (decoded shape differs)`);
  }
  const value = valueType(field, pkg, at);
  const enumNote = field.resolvedType instanceof protobuf.Enum ? ` // enum ${field.resolvedType.name}` : '';
  if (field instanceof protobuf.MapField) return `  ${field.name}: Record<string, ${value}>;${enumNote}`;
  if (field.repeated) return `  ${field.name}: ${value}[];${enumNote}`;
  if (field.resolvedType instanceof protobuf.Type) return `  ${field.name}?: ${value} | null;`;
  return `  ${field.name}: ${value};${enumNote}`;
}

function messageSource(type: protobuf.Type, pkg: protobuf.Namespace): string {
  const at = `message ${type.name}`;
  if (type.nestedArray.length > 0) throw new Error(`${at}: nested declarations are not supported`);
  if (type.fieldsArray.length === 0) return `export type ${type.name} = Record<never, never>;\n`;
  const fields = type.fieldsArray.map((f) => fieldLine(f, pkg, `${at}.${f.name}`));
  return `export interface ${type.name} {\n${fields.join('\n')}\n}\n`;
}

function enumSource(e: protobuf.Enum): string {
  const values = Object.entries(e.values).map(([name, value]) => `  ${name}: ${String(value)},`);
  return `export const ${e.name} = {\n${values.join('\n')}\n} as const;\n`;
}

function serviceSource(service: protobuf.Service, pkg: protobuf.Namespace): string {
  const methods = service.methodsArray.map((m) => {
    const at = `service ${service.name}.${m.name}`;
    if (m.requestStream === true || m.responseStream === true) {
      throw new Error(`${at}: streaming methods are not supported`);
    }
    const request = m.resolvedRequestType;
    const response = m.resolvedResponseType;
    if (request === null || response === null)
      throw new Error(`${at}: request or response type is not resolved`);
    for (const t of [request, response]) {
      if (t.parent !== pkg) throw new Error(`${at}: type ${t.fullName} is outside the package`);
    }
    return [
      `    ${m.name}: {`,
      `      request: '${request.name}',`,
      `      response: '${response.name}',`,
      `    },`,
    ].join('\n');
  });
  return [
    `export const ${service.name} = {`,
    `  name: '${service.fullName.slice(1)}',`,
    `  methods: {`,
    ...methods,
    `  },`,
    `} as const;`,
    '',
  ].join('\n');
}

/** TypeScript source for package `name` (e.g. `nri.pkg.api.v1alpha1`) of a resolved protobufjs root. */
export function protoTypeScript(root: protobuf.Root, name: string, opts: ProtoTypeScriptOptions): string {
  const pkg = root.lookup(name);
  if (
    !(pkg instanceof protobuf.Namespace) ||
    pkg instanceof protobuf.Type ||
    pkg instanceof protobuf.Service
  ) {
    throw new Error(`package ${name}: not found in the loaded .proto files`);
  }
  const out: string[] = [
    `// GENERATED by \`npm run gen\` from ${opts.source} (package ${name}). Do not edit.`,
    '//',
    '// Decoded views (protobufjs toObject with defaults, arrays, objects, longs: Number, enums: Number):',
    '// scalar, repeated and map fields are always present; a singular message field is null when',
    '// absent (optional here, so that values built in code may leave it out); enums are numbers.',
    '',
    `export const PACKAGE = '${name}';`,
    '',
  ];
  const messages: string[] = [];
  const services: string[] = [];
  for (const item of pkg.nestedArray) {
    if (item instanceof protobuf.Type) {
      out.push(messageSource(item, pkg));
      messages.push(item.name);
    } else if (item instanceof protobuf.Enum) {
      out.push(enumSource(item));
    } else if (item instanceof protobuf.Service) {
      services.push(serviceSource(item, pkg));
    } else {
      throw new Error(`${item.fullName}: only messages, enums and services are supported`);
    }
  }
  out.push(
    '/** Every message of the package, by name. */',
    'export interface Messages {',
    ...messages.map((m) => `  ${m}: ${m};`),
    '}',
    '',
  );
  for (const s of services) out.push(s);
  return out.join('\n');
}
