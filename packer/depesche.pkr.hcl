# The Depesche appliance image (SPEC O1): Debian 12 installed from the netinst ISO by
# preseed, then provisioned by the same appliance/provision.sh as `make appliance`.
#
#   packer validate packer/depesche.pkr.hcl         (Debian's packer 1.6.6 and newer)
#   packer build -var 'authorized_keys=...' packer/depesche.pkr.hcl   (KVM, internet)
#
# Written for packer 1.6.6 (no required_plugins block, no data sources, no http_content):
# with packer >= 1.10 install the qemu plugin first: packer plugins install
# github.com/hashicorp/qemu (see README "Operators: the appliance").

variable "iso_url" {
  type        = string
  description = "Debian 12 netinst ISO (amd64)"
  default     = "https://cdimage.debian.org/cdimage/archive/12.12.0/amd64/iso-cd/debian-12.12.0-amd64-netinst.iso"
}

variable "iso_checksum" {
  type        = string
  description = "Checksum of the ISO, or file:URL of the SHA256SUMS list"
  default     = "file:https://cdimage.debian.org/cdimage/archive/12.12.0/amd64/iso-cd/SHA256SUMS"
}

variable "disk_size" {
  type    = string
  default = "20G"
}

variable "format" {
  type        = string
  description = "qcow2 or raw"
  default     = "qcow2"
}

variable "accelerator" {
  type        = string
  description = "kvm; tcg works without KVM but takes hours"
  default     = "kvm"
}

variable "authorized_keys" {
  type        = string
  description = "SSH public key(s) of the operator (user admin); empty: add one at the console"
  default     = ""
}

variable "headless" {
  type    = bool
  default = true
}

locals {
  # The build user exists only while Packer works: its password is new for every build
  # and the user is deleted before the image is sealed (no default credentials).
  build_user     = "packer"
  build_password = uuidv4()
  source_tarball = "${path.root}/output-src.tar.gz"
}

source "qemu" "depesche" {
  iso_url          = var.iso_url
  iso_checksum     = var.iso_checksum
  output_directory = "${path.root}/output"
  vm_name          = "depesche.${var.format}"
  format           = var.format
  disk_size        = var.disk_size
  disk_interface   = "virtio"
  net_device       = "virtio-net"
  accelerator      = var.accelerator
  memory           = 2048
  cpus             = 2
  headless         = var.headless
  http_directory   = "${path.root}/http"
  boot_wait        = "5s"
  boot_command = [
    "<esc><wait>",
    "auto url=http://{{ .HTTPIP }}:{{ .HTTPPort }}/preseed.cfg ",
    "priority=critical locale=en_US.UTF-8 keymap=de hostname=depesche domain=localdomain ",
    "passwd/username=${local.build_user} passwd/user-fullname=build ",
    "passwd/user-password=${local.build_password} passwd/user-password-again=${local.build_password} ",
    "<enter>"
  ]
  ssh_username     = local.build_user
  ssh_password     = local.build_password
  ssh_timeout      = "60m"
  shutdown_command = "sudo systemctl poweroff"
}

build {
  sources = ["source.qemu.depesche"]

  # The checkout without caches and builds, as provision.sh copies it.
  provisioner "shell-local" {
    inline = [
      "cd ${path.root}/.. && tar -czf packer/output-src.tar.gz --exclude=.git --exclude=.venv --exclude=.venv-semgrep --exclude=./build --exclude=./instance --exclude=./test-artifacts --exclude=./packer/output --exclude=./packer/output-src.tar.gz --exclude=__pycache__ ."
    ]
  }

  provisioner "file" {
    source      = local.source_tarball
    destination = "/tmp/depesche-src.tar.gz"
    # made by the shell-local step above, so it does not exist when the template is validated
    generated = true
  }

  provisioner "shell" {
    execute_command = "echo '${local.build_password}' | sudo -S -E sh -eu '{{ .Path }}'"
    environment_vars = [
      "AUTHORIZED_KEYS=${var.authorized_keys}"
    ]
    inline = [
      "mkdir -p /tmp/depesche-src && tar -xzf /tmp/depesche-src.tar.gz -C /tmp/depesche-src",
      "if [ -n \"$AUTHORIZED_KEYS\" ]; then printf '%s\\n' \"$AUTHORIZED_KEYS\" > /tmp/authorized_keys; set -- --authorized-keys /tmp/authorized_keys; fi",
      "sh /tmp/depesche-src/appliance/provision.sh --seal \"$@\"",
      "rm -rf /tmp/depesche-src /tmp/depesche-src.tar.gz /tmp/authorized_keys",
      # the build user goes last; the running session ends with the shutdown
      "printf '%s ALL=(ALL) NOPASSWD: /usr/bin/systemctl poweroff\\n' ${local.build_user} > /etc/sudoers.d/zz-packer-shutdown",
      "chmod 440 /etc/sudoers.d/zz-packer-shutdown",
      "usermod -p '*' ${local.build_user}",
      "printf '[Unit]\\nDescription=Remove the image build user\\nConditionPathExists=/etc/sudoers.d/zz-packer-shutdown\\n[Service]\\nType=oneshot\\nExecStart=/usr/sbin/userdel --force --remove ${local.build_user}\\nExecStart=/bin/rm -f /etc/sudoers.d/zz-packer-shutdown /etc/systemd/system/multi-user.target.wants/depesche-remove-build-user.service\\n[Install]\\nWantedBy=multi-user.target\\n' > /etc/systemd/system/depesche-remove-build-user.service",
      "systemctl enable depesche-remove-build-user.service"
    ]
  }

  provisioner "shell-local" {
    inline = ["rm -f ${local.source_tarball}"]
  }
}
