#version 150
// Shared vertex stage for every lit surface: view-space lighting inputs and the
// world-space position the section plane is tested against.

uniform mat4 p3d_ModelViewProjectionMatrix;
uniform mat4 p3d_ModelViewMatrix;
uniform mat4 p3d_ModelMatrix;
uniform mat3 p3d_NormalMatrix;

in vec4 p3d_Vertex;
in vec3 p3d_Normal;
in vec4 p3d_Color;

out vec3 v_view_pos;
out vec3 v_view_normal;
out vec3 v_world_pos;
out vec4 v_color;

void main() {
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
    v_view_pos = (p3d_ModelViewMatrix * p3d_Vertex).xyz;
    v_view_normal = normalize(p3d_NormalMatrix * p3d_Normal);
    v_world_pos = (p3d_ModelMatrix * p3d_Vertex).xyz;
    v_color = p3d_Color;
}
